package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisops"
	"github.com/redis/go-redis/v9"
)

// The signaller's feedback (README rule 11): its signals by source, a
// dismissal and a withdrawal.
//
//	livc:{livc:<cell>}:signals:source:<actor>      zset   the ids of the signals actor submitted, by arrival sequence
//	livc:{livc:<cell>}:subject:<ref>:withdrawn     set    the ids of the person's withdrawn signals
//
// The source index is written with the signal (planIntake) and keeps it
// whatever its state; an erasure takes it out (planForgetIntake).

// sourceIndex is the key of the index of actor's signals.
func sourceIndex(p, actor string) string { return p + "signals:source:" + actor }

// Signal returns the intake entry of signal id, or broker.ErrNotFound.
func (s *Store) Signal(ctx context.Context, livc, id string) (broker.SignalEntry, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.SignalEntry{}, err
	}
	if !broker.ValidRecordID(id) {
		return broker.SignalEntry{}, broker.ErrNotFound
	}
	items, _, err := s.signalEntries(ctx, p, []redis.Z{{Member: id}}, "")
	if err != nil {
		return broker.SignalEntry{}, err
	}
	if len(items) == 0 {
		return broker.SignalEntry{}, broker.ErrNotFound
	}
	return items[0], nil
}

// PlanSignalState plans moving signal e, as read, to state to (a
// dismissal): its hash and its place in the state indexes. It holds while
// the signal is still in e.State.
func (s *Store) PlanSignalState(ctx context.Context, livc string, e broker.SignalEntry, to string) (broker.Write, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	if !validState(e.State) || !validState(to) || !broker.ValidRecordID(e.ID) {
		return nil, errors.New("redisstore: plan signal state: invalid state or id")
	}
	plan := &redisops.Plan{Livc: livc}
	if err := s.planMoveSignal(ctx, plan, p, e, to); err != nil {
		return nil, err
	}
	return plan, plan.Validate()
}

// planMoveSignal adds to plan the move of signal e from e.State to to.
func (s *Store) planMoveSignal(ctx context.Context, plan *redisops.Plan, p string, e broker.SignalEntry, to string) error {
	seq, err := s.c.ZScore(ctx, p+"signals", e.ID).Result()
	if errors.Is(err, redis.Nil) {
		return broker.ErrNotFound
	}
	if err != nil {
		return fail("plan signal state", err)
	}
	key := p + "signal:" + e.ID
	plan.Check(redisops.Check{Kind: redisops.KindField, Key: key, Field: "state", Values: []string{e.State}})
	if e.ChangedAt.IsZero() {
		plan.Do("HSET", key, "state", to)
	} else {
		plan.Do("HSET", key, "state", to, "changed_at", e.ChangedAt.UTC().Format(time.RFC3339Nano))
	}
	plan.Do("ZREM", p+"signals:"+e.State, e.ID)
	plan.Do("ZADD", p+"signals:"+to, strconv.FormatInt(int64(seq), 10), e.ID)
	return nil
}

// PlanWithdraw plans withdrawing signal e, as read: its record deleted
// from the person's records, record order and source index (its sealed
// bytes gone; the person's data key stays for the other records), its
// envelope's binding spent, its intake state withdrawn. It holds while the
// signal is in e.State and the person's record order, source index and
// envelopes are as read.
func (s *Store) PlanWithdraw(ctx context.Context, livc string, e broker.SignalEntry) (broker.Write, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	sp, err := subjectPrefix(livc, e.SubjectRef)
	if err != nil {
		return nil, err
	}
	if !validState(e.State) || !broker.ValidRecordID(e.ID) || e.Source == "" || strings.ContainsAny(e.Source, "{} ") {
		return nil, errors.New("redisstore: plan withdraw: invalid entry")
	}
	var ids, own, digests *redis.StringSliceCmd
	var indexed *redis.StringCmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		ids = tx.LRange(ctx, sp+"record-ids", 0, -1)
		own = tx.LRange(ctx, sp+"source:"+e.Source, 0, -1)
		indexed = tx.Get(ctx, sp+"indexed")
		digests = tx.SMembers(ctx, sp+"envelopes")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fail("plan withdraw", err)
	}
	plan := &redisops.Plan{Livc: livc}
	if err := s.planMoveSignal(ctx, plan, p, e, broker.SignalWithdrawn); err != nil {
		return nil, err
	}
	plan.Check(redisops.Check{Kind: redisops.KindField, Key: sp + "records", Field: e.ID})
	plan.Do("HDEL", sp+"records", e.ID)
	// The person's withdrawn signals, for their erasure to take out of
	// the intake (planForgetIntake): the record order no longer names it.
	plan.Do("SADD", sp+"withdrawn", e.ID)
	// The lists are rewritten without the record, as read.
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "record-ids", N: int64(len(ids.Val()))})
	planRewrite(plan, sp+"record-ids", ids.Val(), e.ID)
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "source:" + e.Source, N: int64(len(own.Val()))})
	planRewrite(plan, sp+"source:"+e.Source, own.Val(), e.ID)
	if n, err := strconv.ParseInt(indexed.Val(), 10, 64); err == nil && n > 0 && len(without(own.Val(), e.ID)) < len(own.Val()) {
		plan.Check(redisops.Check{Kind: redisops.KindEqual, Key: sp + "indexed", Values: []string{indexed.Val()}})
		plan.Do("SET", sp+"indexed", strconv.FormatInt(n-1, 10))
	}
	// The envelope it came in stays spent, as after an erasure.
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "envelopes", N: int64(len(digests.Val()))})
	if len(digests.Val()) > 0 {
		bindings, err := s.c.HMGet(ctx, p+"envelopes", digests.Val()...).Result()
		if err != nil {
			return nil, fail("plan withdraw", err)
		}
		for i, v := range bindings {
			b, _ := v.(string)
			if parts := strings.Split(b, " "); len(parts) == 3 && parts[1] == e.ID {
				d := digests.Val()[i]
				plan.Check(redisops.Check{Kind: redisops.KindField, Key: p + "envelopes", Field: d, Values: []string{b}})
				plan.Do("HSET", p+"envelopes", d, spent)
				plan.Do("SREM", sp+"envelopes", d)
			}
		}
	}
	return plan, plan.Validate()
}

// planRewrite replaces list key, read as list, by list without id.
func planRewrite(plan *redisops.Plan, key string, list []string, id string) {
	rest := without(list, id)
	if len(rest) == len(list) {
		return
	}
	plan.Do("DEL", key)
	if len(rest) > 0 {
		plan.Do("RPUSH", key, rest...)
	}
}

// without returns list without id.
func without(list []string, id string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
