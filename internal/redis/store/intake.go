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

// The coordinator's intake and the envelopes' bindings.
//
//	livc:{livc:<cell>}:signal:<id>                 hash   subject_ref, source, received_at, observed_at, state, case_id, changed_at (retention.go)
//	livc:{livc:<cell>}:signals                     zset   every signal id by arrival sequence
//	livc:{livc:<cell>}:signals:<state>             zset   the signal ids in that state, by arrival sequence
//	livc:{livc:<cell>}:signals:seq                 string the last arrival sequence
//	livc:{livc:<cell>}:signals:source:<actor>      zset   actor's signal ids by arrival sequence (feedback.go)
//	livc:{livc:<cell>}:envelopes                   hash   envelope digest -> "<actor> <record> <ref>", or "spent"
//	livc:{livc:<cell>}:subject:<ref>:envelopes     set    the digests of the envelopes of ref's records
//
// A signal's state lives in its hash and in which state index holds it, so
// that a page of one state costs that page, and a state added later (a
// dismissal, a withdrawal) is one more index.

// spent is the binding of an envelope whose record was erased.
const spent = "spent"

// EnvelopeBinding returns what the envelope of digest was submitted as, or
// broker.ErrNotFound for one never submitted.
func (s *Store) EnvelopeBinding(ctx context.Context, livc, digest string) (broker.EnvelopeBinding, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.EnvelopeBinding{}, err
	}
	// Every submission asks: through the cell's read pipeline, with the
	// other reads of the hot path.
	var cmd *redis.StringCmd
	err = s.reads(p).run(ctx, nil, func(ctx context.Context, tx redis.Pipeliner) []redis.Cmder {
		cmd = tx.HGet(ctx, p+"envelopes", digest)
		return []redis.Cmder{cmd}
	})
	if err != nil {
		return broker.EnvelopeBinding{}, fail("envelope binding", err)
	}
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return broker.EnvelopeBinding{}, broker.ErrNotFound
	}
	if err != nil {
		return broker.EnvelopeBinding{}, fail("envelope binding", err)
	}
	b := broker.EnvelopeBinding{Digest: digest}
	if v == spent {
		b.Spent = true
		return b, nil
	}
	parts := strings.Split(v, " ")
	if len(parts) != 3 {
		return broker.EnvelopeBinding{}, fail("envelope binding", errors.New("a malformed binding"))
	}
	b.Submitter, b.Record, b.SubjectRef = parts[0], parts[1], parts[2]
	return b, nil
}

// planEnvelope binds an envelope to its submitter, record and person; it
// holds while the envelope is unbound.
func planEnvelope(write *plan.Plan, p, sp string, b broker.EnvelopeBinding) error {
	if b.Digest == "" || strings.ContainsAny(b.Submitter+b.Record+b.SubjectRef, " ") ||
		b.Submitter == "" || b.Record == "" || b.SubjectRef == "" {
		return errors.New("store: plan record: an incomplete envelope binding")
	}
	write.Check(plan.Check{Kind: plan.KindNoField, Key: p + "envelopes", Field: b.Digest})
	write.Do("HSET", p+"envelopes", b.Digest, b.Submitter+" "+b.Record+" "+b.SubjectRef)
	write.Do("SADD", sp+"envelopes", b.Digest)
	return nil
}

// planIntake puts a signal into the intake, in its state, at the next
// arrival sequence; it holds while the signal's id is unused.
func planIntake(write *plan.Plan, p string, e broker.SignalEntry) error {
	if !broker.ValidRecordID(e.ID) || !validState(e.State) || e.SubjectRef == "" || e.Source == "" ||
		strings.ContainsAny(e.Source, "{} ") {
		return errors.New("store: plan record: an incomplete intake entry")
	}
	key := p + "signal:" + e.ID
	write.Check(plan.Check{Kind: plan.KindAbsent, Key: key, OnFail: plan.Conflict, Detail: "the signal already exists"})
	write.Do("HSET", key, "subject_ref", e.SubjectRef, "source", e.Source,
		"received_at", e.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"observed_at", e.ObservedAt.UTC().Format(time.RFC3339Nano), "state", e.State)
	seq := write.Do("INCR", p+"signals:seq")
	write.DoWithRef(seq, "ZADD", p+"signals", e.ID)
	write.DoWithRef(seq, "ZADD", p+"signals:"+e.State, e.ID)
	write.DoWithRef(seq, "ZADD", sourceIndex(p, e.Source), e.ID)
	return nil
}

// validState is whether a state can be part of a key: a lower-case name.
func validState(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// planIntoDossier moves the signals among ids (those in the intake) into
// dossier caseID: state in_dossier, from the index of the state they were
// read in to in_dossier's. It holds while each is in the state it was read in.
// With want set, every id must be in the intake in state want as read here
// (else ErrStale: the caller read it so, and it changed since).
func (s *Store) planIntoDossier(ctx context.Context, write *plan.Plan, p, caseID string, ids []string, want string) error {
	type read struct {
		state *redis.StringCmd
		seq   *redis.FloatCmd
	}
	reads := make([]read, len(ids))
	_, err := s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		for i, id := range ids {
			reads[i] = read{tx.HGet(ctx, p+"signal:"+id, "state"), tx.ZScore(ctx, p+"signals", id)}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fail("plan case", err)
	}
	for i, id := range ids {
		state, err := reads[i].state.Result()
		if errors.Is(err, redis.Nil) && want != "" {
			return stale("a signal left the intake")
		}
		if errors.Is(err, redis.Nil) {
			continue // an observation, or a record from before the intake
		}
		seq, serr := reads[i].seq.Result()
		if err != nil || serr != nil || !validState(state) {
			return fail("plan case", errors.New("a malformed intake entry"))
		}
		if want != "" && state != want {
			return stale("a signal left the state it was read in")
		}
		key := p + "signal:" + id
		write.Check(plan.Check{Kind: plan.KindField, Key: key, Field: "state", Values: []string{state}})
		write.Do("HSET", key, "state", broker.SignalInDossier, "case_id", caseID)
		if state != broker.SignalInDossier {
			write.Do("ZREM", p+"signals:"+state, id)
			write.Do("ZADD", p+"signals:"+broker.SignalInDossier, strconv.FormatInt(int64(seq), 10), id)
		}
	}
	return nil
}

// planForgetIntake removes a person's signals from the intake (withdrawn
// ones too) and leaves the envelopes of their records spent: read from the
// person's record ids, withdrawn set and envelope set, which the plan checks unchanged, with each signal's
// state (a dossier taking it in meanwhile makes the plan stale).
func (s *Store) planForgetIntake(ctx context.Context, write *plan.Plan, p, sp string) error {
	var ids, digests, withdrawn *redis.StringSliceCmd
	_, err := s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		ids = tx.LRange(ctx, sp+"record-ids", 0, -1)
		digests = tx.SMembers(ctx, sp+"envelopes")
		withdrawn = tx.SMembers(ctx, sp+"withdrawn")
		return nil
	})
	if err != nil {
		return fail("plan erase", err)
	}
	var sigs []string
	for _, id := range ids.Val() {
		if strings.HasPrefix(id, "sig_") {
			sigs = append(sigs, id)
		}
	}
	// Withdrawn signals have left the record order, not the intake.
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "withdrawn", N: int64(len(withdrawn.Val()))})
	sigs = append(sigs, withdrawn.Val()...)
	states := make([]*redis.StringCmd, len(sigs))
	sources := make([]*redis.StringCmd, len(sigs))
	_, err = s.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, id := range sigs {
			states[i] = pipe.HGet(ctx, p+"signal:"+id, "state")
			sources[i] = pipe.HGet(ctx, p+"signal:"+id, "source")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fail("plan erase", err)
	}
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "record-ids", N: int64(len(ids.Val()))})
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "envelopes", N: int64(len(digests.Val()))})
	for i, id := range sigs {
		state, err := states[i].Result()
		if errors.Is(err, redis.Nil) {
			continue // a record from before the intake
		}
		if err != nil || !validState(state) {
			return fail("plan erase", errors.New("a malformed intake entry"))
		}
		key := p + "signal:" + id
		write.Check(plan.Check{Kind: plan.KindField, Key: key, Field: "state", Values: []string{state}})
		write.Do("DEL", key)
		write.Do("ZREM", p+"signals", id)
		write.Do("ZREM", p+"signals:"+state, id)
		if src := sources[i].Val(); src != "" && !strings.ContainsAny(src, "{}") {
			write.Do("ZREM", sourceIndex(p, src), id)
		}
	}
	for _, d := range digests.Val() {
		write.Do("HSET", p+"envelopes", d, spent)
	}
	write.Do("DEL", sp+"envelopes")
	return nil
}

// ListSignals returns one page of the cell's intake (of q.State, or every
// signal), newest first. The cursor is the arrival sequence of the last
// signal returned; "" when there is no more. It reads one index range and
// the page's entries; an entry erased between the two is left out.
func (s *Store) ListSignals(ctx context.Context, q broker.SignalQuery) ([]broker.SignalEntry, string, error) {
	p, err := cellPrefix(q.Livc)
	if err != nil {
		return nil, "", err
	}
	index := p + "signals"
	if q.Source != "" {
		if q.State != "" || strings.ContainsAny(q.Source, "{} ") {
			return nil, "", errors.New("store: list signals: invalid source")
		}
		index = sourceIndex(p, q.Source)
	}
	if q.State != "" {
		if !validState(q.State) {
			return nil, "", errors.New("store: list signals: invalid state")
		}
		index += ":" + q.State
	}
	max := "+inf"
	if q.Cursor != "" {
		if _, err := strconv.ParseUint(q.Cursor, 10, 63); err != nil {
			return nil, "", errors.New("store: list signals: malformed cursor")
		}
		max = "(" + q.Cursor
	}
	limit := q.Limit
	if limit <= 0 {
		limit = broker.DefaultLimit
	}
	zs, err := s.c.ZRevRangeByScoreWithScores(ctx, index, &redis.ZRangeBy{
		Min: "-inf", Max: max, Offset: 0, Count: int64(limit) + 1,
	}).Result()
	if err != nil {
		return nil, "", fail("list signals", err)
	}
	next := ""
	if len(zs) > limit {
		zs = zs[:limit]
		next = strconv.FormatInt(int64(zs[limit-1].Score), 10)
	}
	return s.signalEntries(ctx, p, zs, next)
}

// signalEntries reads the entries of a page of the intake's index.
func (s *Store) signalEntries(ctx context.Context, p string, zs []redis.Z, next string) ([]broker.SignalEntry, string, error) {
	cmds := make([]*redis.MapStringStringCmd, len(zs))
	_, err := s.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, z := range zs {
			cmds[i] = pipe.HGetAll(ctx, p+"signal:"+z.Member.(string))
		}
		return nil
	})
	if err != nil {
		return nil, "", fail("list signals", err)
	}
	out := make([]broker.SignalEntry, 0, len(zs))
	for i, z := range zs {
		h := cmds[i].Val()
		if len(h) == 0 {
			continue
		}
		e := broker.SignalEntry{ID: z.Member.(string), SubjectRef: h["subject_ref"], Source: h["source"],
			State: h["state"], CaseID: h["case_id"]}
		var rerr, oerr error
		e.ReceivedAt, rerr = time.Parse(time.RFC3339Nano, h["received_at"])
		e.ObservedAt, oerr = time.Parse(time.RFC3339Nano, h["observed_at"])
		if c, ok := h["changed_at"]; ok {
			e.ChangedAt, _ = time.Parse(time.RFC3339Nano, c) // retention.go
		}
		if rerr != nil || oerr != nil || e.SubjectRef == "" || e.State == "" {
			return nil, "", fail("list signals", errors.New("a malformed intake entry"))
		}
		out = append(out, e)
	}
	return out, next, nil
}
