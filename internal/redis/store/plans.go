package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/redis/go-redis/v9"
)

// Plans: the writes the broker makes, planned for the audit log to perform
// with their entries (broker.WritePlanner; the plan language is internal/redis/internal/plan). A planner reads
// what it needs; it writes nothing. Each plan states, as checks, what it was
// planned from, so that it is performed only if that still holds: the
// checks and the ops run in one script with the audit entry, and no other
// client runs in between.
//
// The contract with the audit log (internal/redis/audit, Log.Commit): every
// broker.Write a Plan* method (here, in erase.go and in feedback.go) returns
// without an error is a non-nil *plan.Plan whose Livc is the cell of the
// request it was planned for, and which plan.Validate accepts (each planner
// ends with return write, write.Validate()). The audit log relies on that:
// it type-asserts the *plan.Plan, refuses any other Write, and runs the
// plan in its batch script. A planner that returned anything else would
// have every commit of its use case refused, never a write performed
// without its entry.

var _ broker.WritePlanner = (*Store)(nil)

// stale is the error of a planner that finds the store changed under the
// caller's feet.
func stale(why string) error {
	return broker.Wrap(broker.KindConflict, fmt.Errorf("store: %s: %w", why, broker.ErrStale), "the data changed; try again")
}

// PlanRecord plans storing a sealed record: for a signal, linking its
// aliases (as LinkSubject does), counting it and its intake entry; storing
// a fresh data key; the record and its place in the order; the binding of
// its envelope. It holds while the aliases stand as read, the data key is
// the one the record is sealed under (or still absent for a fresh one), the
// envelope is unbound and the record id is unused (else a conflict).
func (s *Store) PlanRecord(ctx context.Context, w broker.RecordWrite) (broker.Write, error) {
	p, err := cellPrefix(w.Livc)
	if err != nil {
		return nil, err
	}
	sp, err := subjectPrefix(w.Livc, w.Ref)
	if err != nil {
		return nil, err
	}
	if w.Record.ID == "" || len(w.Record.Sealed) == 0 || len(w.Key.Wrapped) == 0 || hasEmpty(w.Aliases) {
		return nil, errors.New("store: plan record: empty id, payload, key or alias")
	}
	write := &plan.Plan{Livc: w.Livc}
	if len(w.Aliases) > 0 {
		if err := s.planLinks(ctx, write, p, sp, w.Aliases, w.Links, w.Ref); err != nil {
			return nil, err
		}
	}
	planKey(write, sp, w.Key)
	write.Check(plan.Check{Kind: plan.KindNoField, Key: sp + "records", Field: w.Record.ID,
		OnFail: plan.Conflict, Detail: "the record already exists"})
	write.Do("HSET", sp+"records", w.Record.ID, string(w.Record.Sealed))
	write.Do("RPUSH", sp+"record-ids", w.Record.ID)
	if w.Source != "" {
		// The record's place under its source, for ReadScope; the set of
		// sources, for the erasure.
		write.Do("RPUSH", sp+"source:"+w.Source, w.Record.ID)
		write.Do("SADD", sp+"sources", w.Source)
		write.Do("INCR", sp+"indexed")
	}
	if w.Month != "" {
		if len(w.Month) != 7 {
			return nil, errors.New("store: plan record: month is not YYYY-MM")
		}
		write.Do("HINCRBY", p+"stats:signals", w.Month, "1")
		if w.Source != "" {
			if strings.ContainsAny(w.Source, "{}") {
				return nil, errors.New("store: plan record: invalid source")
			}
			write.Do("HINCRBY", p+"stats:signals:source", w.Month+"/"+w.Source, "1")
		}
	}
	if w.Envelope != nil {
		if err := planEnvelope(write, p, sp, *w.Envelope); err != nil {
			return nil, err
		}
	}
	if w.Intake != nil {
		if err := planIntake(write, p, *w.Intake); err != nil {
			return nil, err
		}
	}
	return write, write.Validate()
}

// planLinks adds the links of aliases to ref: the first alias linked (in
// order) must name ref (else ErrStale now), every linked alias must still
// name what it names, every unlinked one must be unlinked or linked to ref
// at commit, and gets linked to ref. links is what the aliases were linked
// to when read (LookupSubject); when it does not match aliases, planLinks
// reads them. The checks hold whatever it was planned from at commit.
func (s *Store) planLinks(ctx context.Context, write *plan.Plan, p, sp string, aliases, links []string, ref string) error {
	if len(links) != len(aliases) {
		vals, err := s.c.HMGet(ctx, p+"aliases", aliases...).Result()
		if err != nil {
			return fail("plan record", err)
		}
		links = make([]string, len(vals))
		for i, v := range vals {
			links[i], _ = v.(string)
		}
	}
	first := ""
	for i, linked := range links {
		a := aliases[i]
		if linked != "" {
			if first == "" {
				first = linked
			}
			write.Check(plan.Check{Kind: plan.KindField, Key: p + "aliases", Field: a, Values: []string{linked}})
			continue
		}
		write.Check(plan.Check{Kind: plan.KindField, Key: p + "aliases", Field: a, AbsentOK: true, Values: []string{ref}})
		write.Do("HSET", p+"aliases", a, ref)
		write.Do("SADD", sp+"aliases", a)
	}
	if first != "" && first != ref {
		return stale("the person is linked to another ref")
	}
	return nil
}

// planKey adds the data key a write is sealed under: checked equal to the
// person's, or, fresh, stored while the person has none.
func planKey(write *plan.Plan, sp string, key broker.KeyUse) {
	switch {
	case key.Fresh:
		write.Check(plan.Check{Kind: plan.KindAbsent, Key: sp + "datakey"})
		write.Do("SET", sp+"datakey", string(key.Wrapped))
	case len(key.Wrapped) > 0:
		write.Check(plan.Check{Kind: plan.KindEqual, Key: sp + "datakey", Values: []string{string(key.Wrapped)}})
	}
}

// PlanCreateCase plans a new dossier: the document, its creation sequence
// and index entry, its subject's set, its roster index and counts, and its
// signals moved to in_dossier in the intake. It holds while the id is
// unused (else a conflict), every signal it names is still stored and in
// the intake state it was read in.
func (s *Store) PlanCreateCase(ctx context.Context, c broker.Case) (broker.Write, error) {
	p, key, err := caseKeys(c)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("store: plan case: %w", err)
	}
	sp := p + "subject:" + c.SubjectRef + ":"
	write := &plan.Plan{Livc: c.Livc}
	write.Check(plan.Check{Kind: plan.KindAbsent, Key: key, OnFail: plan.Conflict, Detail: "case already exists"})
	planStored(write, sp, c.SignalIDs)
	write.Do("SET", key, string(doc))
	seq := write.Do("INCR", p+"cases:seq")
	write.DoWithRef(seq, "ZADD", p+"cases", c.ID)
	write.Do("SADD", sp+"cases", c.ID)
	if c.Open() {
		for _, a := range c.Roster {
			write.DoWithRef(seq, "ZADD", p+"actor:"+a+":cases", c.ID)
		}
	}
	for _, f := range countsOf(c) {
		write.Do("HINCRBY", p+"stats:cases", f, "1")
	}
	if err := s.planIntoDossier(ctx, write, p, c.ID, c.SignalIDs, ""); err != nil {
		return nil, err
	}
	return write, write.Validate()
}

// planStored holds a plan while each record of ids is stored.
func planStored(write *plan.Plan, sp string, ids []string) {
	for _, id := range ids {
		write.Check(plan.Check{Kind: plan.KindField, Key: sp + "records", Field: id})
	}
}

// PlanTakeSignals plans dossier prev, as loaded, becoming next (as
// PlanUpdateCase plans it) and the signals taken moving to in_dossier with
// next's id (as PlanCreateCase moves its own). It holds while the dossier
// is still prev, each taken signal's record still stored and its intake
// entry still in the state it was read in: one moved meanwhile (dismissed,
// withdrawn, taken by another dossier) makes the plan stale.
func (s *Store) PlanTakeSignals(ctx context.Context, prev, next broker.Case, taken []broker.SignalEntry) (broker.Write, error) {
	write, err := s.planUpdateCase(ctx, prev, next, broker.KeyUse{})
	if err != nil {
		return nil, err
	}
	p, _, err := caseKeys(next)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(taken))
	state := ""
	for i, e := range taken {
		if e.SubjectRef != next.SubjectRef || (state != "" && e.State != state) || !validState(e.State) {
			return nil, errors.New("store: plan take signals: a signal of another person or state")
		}
		ids[i], state = e.ID, e.State
	}
	if len(ids) == 0 {
		return nil, errors.New("store: plan take signals: no signal")
	}
	planStored(write, p+"subject:"+next.SubjectRef+":", ids)
	if err := s.planIntoDossier(ctx, write, p, next.ID, ids, state); err != nil {
		return nil, err
	}
	return write, write.Validate()
}

// PlanUpdateCase plans replacing prev, as loaded, by next: the document, the
// roster index (an open dossier is indexed under each actor of its roster, a
// closed one under none) and the counts. It holds while the stored dossier
// is byte for byte prev's encoding, and while key is the person's (or, fresh,
// while the person has none). A dossier does not change cell, id or subject.
func (s *Store) PlanUpdateCase(ctx context.Context, prev, next broker.Case, key broker.KeyUse) (broker.Write, error) {
	write, err := s.planUpdateCase(ctx, prev, next, key)
	if err != nil {
		return nil, err
	}
	return write, write.Validate()
}

// planUpdateCase is PlanUpdateCase's plan, for others to add to.
func (s *Store) planUpdateCase(ctx context.Context, prev, next broker.Case, key broker.KeyUse) (*plan.Plan, error) {
	p, k, err := caseKeys(next)
	if err != nil {
		return nil, err
	}
	if prev.ID != next.ID || prev.Livc != next.Livc || prev.SubjectRef != next.SubjectRef {
		return nil, errors.New("store: plan case update: cell, id or subject changed")
	}
	was, err := json.Marshal(prev)
	if err != nil {
		return nil, fmt.Errorf("store: plan case update: %w", err)
	}
	doc, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("store: plan case update: %w", err)
	}
	score, err := s.c.ZScore(ctx, p+"cases", next.ID).Result()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("plan case update", err)
	}
	seq := strconv.FormatInt(int64(score), 10)
	write := &plan.Plan{Livc: next.Livc}
	write.Check(plan.Check{Kind: plan.KindEqual, Key: k, Values: []string{string(was)}})
	planKey(write, p+"subject:"+next.SubjectRef+":", key)
	write.Do("SET", k, string(doc))
	keep := map[string]bool{}
	if next.Open() {
		for _, a := range next.Roster {
			keep[a] = true
			write.Do("ZADD", p+"actor:"+a+":cases", seq, next.ID)
		}
	}
	for _, a := range prev.Roster {
		if !keep[a] {
			write.Do("ZREM", p+"actor:"+a+":cases", next.ID)
		}
	}
	before, after := countsOf(prev), countsOf(next)
	for i := range before {
		if before[i] != after[i] {
			write.Do("HINCRBY", p+"stats:cases", before[i], "-1")
			write.Do("HINCRBY", p+"stats:cases", after[i], "1")
		}
	}
	return write, nil
}

// countsOf returns the count fields a dossier adds one to.
func countsOf(c broker.Case) [3]string {
	prio := "none"
	if c.Priority != 0 {
		prio = strconv.Itoa(c.Priority)
	}
	return [3]string{"state:" + c.State, "category:" + c.Category, "priority:" + prio}
}
