package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
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
		return nil, errors.New("store: plan signal state: invalid state or id")
	}
	write := &plan.Plan{Livc: livc}
	if err := s.planMoveSignal(ctx, write, p, e, to); err != nil {
		return nil, err
	}
	return write, write.Validate()
}

// planMoveSignal adds to plan the move of signal e from e.State to to.
func (s *Store) planMoveSignal(ctx context.Context, write *plan.Plan, p string, e broker.SignalEntry, to string) error {
	seq, err := s.c.ZScore(ctx, p+"signals", e.ID).Result()
	if errors.Is(err, redis.Nil) {
		return broker.ErrNotFound
	}
	if err != nil {
		return fail("plan signal state", err)
	}
	key := p + "signal:" + e.ID
	write.Check(plan.Check{Kind: plan.KindField, Key: key, Field: "state", Values: []string{e.State}})
	if e.ChangedAt.IsZero() {
		write.Do("HSET", key, "state", to)
	} else {
		write.Do("HSET", key, "state", to, "changed_at", e.ChangedAt.UTC().Format(time.RFC3339Nano))
	}
	write.Do("ZREM", p+"signals:"+e.State, e.ID)
	write.Do("ZADD", p+"signals:"+to, strconv.FormatInt(int64(seq), 10), e.ID)
	return nil
}

// PlanWithdraw plans withdrawing signal e, as read: its record deleted
// from the person's records, record order and source index, its
// envelope's binding spent, its intake state withdrawn, and the person
// re-keyed as rk says (planRekey): the data key the withdrawn record was
// sealed under replaced, everything else of the person re-sealed. It holds
// while the signal is in e.State, the person's record order, source index
// and envelopes are as read, and what rk.Was holds is still stored.
func (s *Store) PlanWithdraw(ctx context.Context, livc string, e broker.SignalEntry, rk broker.Rekey) (broker.Write, error) {
	write, err := s.planWithdraw(ctx, livc, e, broker.SignalWithdrawn)
	if err != nil {
		return nil, err
	}
	p, _ := cellPrefix(livc)                   // valid: planWithdraw used it
	sp, _ := subjectPrefix(livc, e.SubjectRef) // valid: planWithdraw used it
	if err := planRekey(write, p, sp, []string{e.ID}, nil, rk); err != nil {
		return nil, err
	}
	return write, write.Validate()
}

// planWithdraw is PlanWithdraw's plan, the signal's intake state moved to
// to (withdrawn, or corrected by PlanCorrect), for others to add to.
func (s *Store) planWithdraw(ctx context.Context, livc string, e broker.SignalEntry, to string) (*plan.Plan, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	sp, err := subjectPrefix(livc, e.SubjectRef)
	if err != nil {
		return nil, err
	}
	if !validState(e.State) || !broker.ValidRecordID(e.ID) || e.Source == "" || strings.ContainsAny(e.Source, "{} ") {
		return nil, errors.New("store: plan withdraw: invalid entry")
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
	write := &plan.Plan{Livc: livc}
	if err := s.planMoveSignal(ctx, write, p, e, to); err != nil {
		return nil, err
	}
	write.Check(plan.Check{Kind: plan.KindField, Key: sp + "records", Field: e.ID})
	write.Do("HDEL", sp+"records", e.ID)
	// The person's withdrawn signals, for their erasure to take out of
	// the intake (planForgetIntake): the record order no longer names it.
	write.Do("SADD", sp+"withdrawn", e.ID)
	// The lists are rewritten without the record, as read.
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "record-ids", N: int64(len(ids.Val()))})
	planRewrite(write, sp+"record-ids", ids.Val(), e.ID)
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "source:" + e.Source, N: int64(len(own.Val()))})
	planRewrite(write, sp+"source:"+e.Source, own.Val(), e.ID)
	if n, err := strconv.ParseInt(indexed.Val(), 10, 64); err == nil && n > 0 && len(without(own.Val(), e.ID)) < len(own.Val()) {
		write.Check(plan.Check{Kind: plan.KindEqual, Key: sp + "indexed", Values: []string{indexed.Val()}})
		write.Do("SET", sp+"indexed", strconv.FormatInt(n-1, 10))
	}
	if err := s.planSpendEnvelope(ctx, write, p, sp, e.ID, digests.Val()); err != nil {
		return nil, err
	}
	return write, nil
}

// planSpendEnvelope plans spending the binding of the envelope record id
// came in, so that it stays spent, as after an erasure: of the person's
// envelopes (digests, as read), the one bound to id. It holds while the
// person's envelopes and that binding are as read.
func (s *Store) planSpendEnvelope(ctx context.Context, write *plan.Plan, p, sp, id string, digests []string) error {
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "envelopes", N: int64(len(digests))})
	if len(digests) == 0 {
		return nil
	}
	bindings, err := s.c.HMGet(ctx, p+"envelopes", digests...).Result()
	if err != nil {
		return fail("plan withdraw", err)
	}
	for i, v := range bindings {
		b, _ := v.(string)
		if parts := strings.Split(b, " "); len(parts) == 3 && parts[1] == id {
			write.Check(plan.Check{Kind: plan.KindField, Key: p + "envelopes", Field: digests[i], Values: []string{b}})
			write.Do("HSET", p+"envelopes", digests[i], spent)
			write.Do("SREM", sp+"envelopes", digests[i])
		}
	}
	return nil
}

// planRewrite replaces list key, read as list, by list without id.
func planRewrite(write *plan.Plan, key string, list []string, id string) {
	rest := without(list, id)
	if len(rest) == len(list) {
		return
	}
	write.Do("DEL", key)
	if len(rest) > 0 {
		write.Do("RPUSH", key, rest...)
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
