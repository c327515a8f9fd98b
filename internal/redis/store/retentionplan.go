package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/redis/go-redis/v9"
)

// PlanExpire plans erasing a retention item (broker.RetentionStore): the
// records expiryRecords names, their signals expired in the intake, and
// for a dossier its document, minutes, index entries and counts. When the
// person is left with no record and no dossier, the plan is their erasure
// (PlanErase: data key, aliases, everything) with the intake entries of
// their signals put back expired (or withdrawn, as they were), so that
// their submitters still see what became of them; it then returns the data
// key it deletes. Otherwise, when it removes a record or a dossier, the
// person is re-keyed in the same plan (planRekey) with what rekey returns,
// so that no copy of the store taken before opens what expired once the
// key epoch turns.
func (s *Store) PlanExpire(ctx context.Context, livc string, x broker.Expiry, rekey broker.Rekeyer) (broker.Write, []byte, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, nil, err
	}
	sp, err := subjectPrefix(livc, x.SubjectRef)
	if err != nil {
		return nil, nil, err
	}
	if !broker.ValidRecordID(x.ID) && !broker.ValidCaseID(x.ID) {
		return nil, nil, errors.New("store: plan expire: invalid id")
	}
	ids, err := s.expiryRecords(ctx, p, x)
	if err != nil {
		return nil, nil, err
	}
	var order, cases, withdrawn *redis.StringSliceCmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		order = tx.LRange(ctx, sp+"record-ids", 0, -1)
		cases = tx.SMembers(ctx, sp+"cases")
		withdrawn = tx.SMembers(ctx, sp+"withdrawn")
		return nil
	})
	if err != nil {
		return nil, nil, fail("plan expire", err)
	}
	records := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !slices.Contains(order.Val(), id) })
	left := slices.DeleteFunc(slices.Clone(order.Val()), func(id string) bool { return slices.Contains(ids, id) })
	otherCases := slices.DeleteFunc(slices.Clone(cases.Val()), func(id string) bool { return id == x.ID })
	if len(left) == 0 && len(otherCases) == 0 {
		return s.planShred(ctx, p, livc, x, ids, withdrawn.Val(), order.Val())
	}
	write := &plan.Plan{Livc: livc}
	if err := s.planExpireSignals(ctx, write, p, sp, x.At, ids); err != nil {
		return nil, nil, err
	}
	if err := s.planRemoveRecords(ctx, write, p, sp, order.Val(), records); err != nil {
		return nil, nil, err
	}
	var dropped []string
	if x.Kind == broker.ExpiryCase {
		if err := planDropCase(write, p, sp, x.Case); err != nil {
			return nil, nil, err
		}
		dropped = []string{x.ID}
	}
	if len(records) > 0 || len(dropped) > 0 {
		rk, err := rekey(records, dropped)
		if err != nil {
			return nil, nil, err
		}
		if err := planRekey(write, p, sp, records, dropped, rk); err != nil {
			return nil, nil, err
		}
	}
	return write, nil, write.Validate()
}

// planShred plans the person's erasure, the intake entries of their
// signals (ids, now expired; the withdrawn ones as they are) put back.
func (s *Store) planShred(ctx context.Context, p, livc string, x broker.Expiry, ids, withdrawn, order []string) (broker.Write, []byte, error) {
	w, wrapped, err := s.PlanErase(ctx, livc, x.SubjectRef)
	if err != nil {
		return nil, nil, err
	}
	write, ok := w.(*plan.Plan)
	if !ok {
		return nil, nil, errors.New("store: plan expire: an erasure that is not a plan")
	}
	if x.Kind == broker.ExpiryCase {
		was, err := caseDoc(x.Case)
		if err != nil {
			return nil, nil, err
		}
		write.Check(plan.Check{Kind: plan.KindEqual, Key: p + "case:" + x.ID, Values: []string{was}})
	}
	var sigs []string
	for _, id := range append(slices.Clone(order), withdrawn...) {
		if strings.HasPrefix(id, "sig_") && !slices.Contains(sigs, id) {
			sigs = append(sigs, id)
		}
	}
	for _, id := range sigs {
		if err := s.planKeepIntake(ctx, write, p, id, slices.Contains(ids, id), x.At); err != nil {
			return nil, nil, err
		}
	}
	return write, wrapped, write.Validate()
}

// planKeepIntake puts signal id's intake entry back after an erasure has
// deleted it, as read now (the plan checks its state unchanged), in state
// expired when expired is set.
func (s *Store) planKeepIntake(ctx context.Context, write *plan.Plan, p, id string, expired bool, at time.Time) error {
	key := p + "signal:" + id
	h, err := s.c.HGetAll(ctx, key).Result()
	if err != nil {
		return fail("plan expire", err)
	}
	seq, err := s.c.ZScore(ctx, p+"signals", id).Result()
	if len(h) == 0 || errors.Is(err, redis.Nil) {
		return nil // not in the intake
	}
	if err != nil || !validState(h["state"]) || strings.ContainsAny(h["source"], "{} ") || h["source"] == "" {
		return fail("plan expire", errors.New("a malformed intake entry"))
	}
	write.Check(plan.Check{Kind: plan.KindField, Key: key, Field: "state", Values: []string{h["state"]}})
	state := h["state"]
	if expired {
		state, h["changed_at"] = broker.SignalExpired, at.UTC().Format(time.RFC3339Nano)
	}
	h["state"] = state
	args := make([]string, 0, 2*len(h))
	for _, f := range slices.Sorted(maps.Keys(h)) {
		args = append(args, f, h[f])
	}
	n := strconv.FormatInt(int64(seq), 10)
	write.Do("HSET", key, args...)
	write.Do("ZADD", p+"signals", n, id)
	write.Do("ZADD", p+"signals:"+state, n, id)
	write.Do("ZADD", sourceIndex(p, h["source"]), n, id)
	return nil
}

// planExpireSignals moves the signals among ids that the intake holds to
// expired, as read now, and keeps them in the person's withdrawn set (the
// signals that left the record order), for a later erasure to forget.
func (s *Store) planExpireSignals(ctx context.Context, write *plan.Plan, p, sp string, at time.Time, ids []string) error {
	for _, id := range ids {
		h, err := s.c.HMGet(ctx, p+"signal:"+id, "state").Result()
		if err != nil {
			return fail("plan expire", err)
		}
		state, _ := h[0].(string)
		if state == "" {
			continue
		}
		e := broker.SignalEntry{ID: id, State: state, ChangedAt: at}
		if err := s.planMoveSignal(ctx, write, p, e, broker.SignalExpired); err != nil {
			return err
		}
		write.Do("SADD", sp+"withdrawn", id)
	}
	return nil
}

// planRemoveRecords deletes the records ids of the person (order is their
// record order as read): the sealed bytes, their places in the record order
// and in their sources' indexes, and their envelopes' bindings, left spent.
func (s *Store) planRemoveRecords(ctx context.Context, write *plan.Plan, p, sp string, order, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var sources, digests *redis.StringSliceCmd
	var indexed *redis.StringCmd
	_, err := s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		sources = tx.SMembers(ctx, sp+"sources")
		digests = tx.SMembers(ctx, sp+"envelopes")
		indexed = tx.Get(ctx, sp+"indexed")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fail("plan expire", err)
	}
	for _, id := range ids {
		write.Check(plan.Check{Kind: plan.KindField, Key: sp + "records", Field: id})
	}
	write.Do("HDEL", sp+"records", ids...)
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "record-ids", N: int64(len(order))})
	rewriteWithout(write, sp+"record-ids", order, ids)
	unindexed := 0
	for _, src := range sources.Val() {
		own, err := s.c.LRange(ctx, sp+"source:"+src, 0, -1).Result()
		if err != nil {
			return fail("plan expire", err)
		}
		write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "source:" + src, N: int64(len(own))})
		unindexed += rewriteWithout(write, sp+"source:"+src, own, ids)
	}
	if n, err := strconv.ParseInt(indexed.Val(), 10, 64); err == nil && unindexed > 0 {
		write.Check(plan.Check{Kind: plan.KindEqual, Key: sp + "indexed", Values: []string{indexed.Val()}})
		write.Do("SET", sp+"indexed", strconv.FormatInt(max(n-int64(unindexed), 0), 10))
	}
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "envelopes", N: int64(len(digests.Val()))})
	if len(digests.Val()) == 0 {
		return nil
	}
	bindings, err := s.c.HMGet(ctx, p+"envelopes", digests.Val()...).Result()
	if err != nil {
		return fail("plan expire", err)
	}
	for i, v := range bindings {
		b, _ := v.(string)
		if parts := strings.Split(b, " "); len(parts) == 3 && slices.Contains(ids, parts[1]) {
			d := digests.Val()[i]
			write.Check(plan.Check{Kind: plan.KindField, Key: p + "envelopes", Field: d, Values: []string{b}})
			write.Do("HSET", p+"envelopes", d, spent)
			write.Do("SREM", sp+"envelopes", d)
		}
	}
	return nil
}

// planDropCase deletes dossier c, as read (checked unchanged): its
// document, minutes, index entries and counts.
func planDropCase(write *plan.Plan, p, sp string, c broker.Case) error {
	was, err := caseDoc(c)
	if err != nil {
		return err
	}
	key := p + "case:" + c.ID
	write.Check(plan.Check{Kind: plan.KindEqual, Key: key, Values: []string{was}})
	write.Do("DEL", key)
	write.Do("DEL", meetingsKey(p, c.ID))
	write.Do("ZREM", p+"cases", c.ID)
	write.Do("SREM", sp+"cases", c.ID)
	for _, a := range c.Roster {
		write.Do("ZREM", p+"actor:"+a+":cases", c.ID)
	}
	for _, f := range countsOf(c) {
		write.Do("HINCRBY", p+"stats:cases", f, "-1")
	}
	return nil
}

// rewriteWithout replaces list key, read as list, by list without ids, and
// returns how many it took out.
func rewriteWithout(write *plan.Plan, key string, list, ids []string) int {
	rest := slices.DeleteFunc(slices.Clone(list), func(x string) bool { return slices.Contains(ids, x) })
	if len(rest) == len(list) {
		return 0
	}
	write.Do("DEL", key)
	if len(rest) > 0 {
		write.Do("RPUSH", key, rest...)
	}
	return len(list) - len(rest)
}
