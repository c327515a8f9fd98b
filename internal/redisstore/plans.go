package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisops"
	"github.com/redis/go-redis/v9"
)

// Plans: the writes the broker makes, planned for the audit log to perform
// with their entries (broker.WritePlanner, internal/redisops). A planner reads
// what it needs; it writes nothing. Each plan states, as checks, what it was
// planned from, so that it is performed only if that still holds: the
// checks and the ops run in one script with the audit entry, and no other
// client runs in between.

var _ broker.WritePlanner = (*Store)(nil)

// stale is the error of a planner that finds the store changed under the
// caller's feet.
func stale(why string) error {
	return broker.Wrap(broker.KindConflict, fmt.Errorf("redisstore: %s: %w", why, broker.ErrStale), "the data changed; try again")
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
		return nil, errors.New("redisstore: plan record: empty id, payload, key or alias")
	}
	plan := &redisops.Plan{Livc: w.Livc}
	if len(w.Aliases) > 0 {
		if err := s.planLinks(ctx, plan, p, sp, w.Aliases, w.Links, w.Ref); err != nil {
			return nil, err
		}
	}
	planKey(plan, sp, w.Key)
	plan.Check(redisops.Check{Kind: redisops.KindNoField, Key: sp + "records", Field: w.Record.ID,
		OnFail: redisops.Conflict, Detail: "the record already exists"})
	plan.Do("HSET", sp+"records", w.Record.ID, string(w.Record.Sealed))
	plan.Do("RPUSH", sp+"record-ids", w.Record.ID)
	if w.Source != "" {
		// The record's place under its source, for ReadScope; the set of
		// sources, for the erasure.
		plan.Do("RPUSH", sp+"source:"+w.Source, w.Record.ID)
		plan.Do("SADD", sp+"sources", w.Source)
		plan.Do("INCR", sp+"indexed")
	}
	if w.Month != "" {
		if len(w.Month) != 7 {
			return nil, errors.New("redisstore: plan record: month is not YYYY-MM")
		}
		plan.Do("HINCRBY", p+"stats:signals", w.Month, "1")
		if w.Source != "" {
			if strings.ContainsAny(w.Source, "{}") {
				return nil, errors.New("redisstore: plan record: invalid source")
			}
			plan.Do("HINCRBY", p+"stats:signals:source", w.Month+"/"+w.Source, "1")
		}
	}
	if w.Envelope != nil {
		if err := planEnvelope(plan, p, sp, *w.Envelope); err != nil {
			return nil, err
		}
	}
	if w.Intake != nil {
		if err := planIntake(plan, p, *w.Intake); err != nil {
			return nil, err
		}
	}
	return plan, plan.Validate()
}

// planLinks adds the links of aliases to ref: the first alias linked (in
// order) must name ref (else ErrStale now), every linked alias must still
// name what it names, every unlinked one must be unlinked or linked to ref
// at commit, and gets linked to ref. links is what the aliases were linked
// to when read (LookupSubject); when it does not match aliases, planLinks
// reads them. The checks hold whatever it was planned from at commit.
func (s *Store) planLinks(ctx context.Context, plan *redisops.Plan, p, sp string, aliases, links []string, ref string) error {
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
			plan.Check(redisops.Check{Kind: redisops.KindField, Key: p + "aliases", Field: a, Values: []string{linked}})
			continue
		}
		plan.Check(redisops.Check{Kind: redisops.KindField, Key: p + "aliases", Field: a, AbsentOK: true, Values: []string{ref}})
		plan.Do("HSET", p+"aliases", a, ref)
		plan.Do("SADD", sp+"aliases", a)
	}
	if first != "" && first != ref {
		return stale("the person is linked to another ref")
	}
	return nil
}

// planKey adds the data key a write is sealed under: checked equal to the
// person's, or, fresh, stored while the person has none.
func planKey(plan *redisops.Plan, sp string, key broker.KeyUse) {
	switch {
	case key.Fresh:
		plan.Check(redisops.Check{Kind: redisops.KindAbsent, Key: sp + "datakey"})
		plan.Do("SET", sp+"datakey", string(key.Wrapped))
	case len(key.Wrapped) > 0:
		plan.Check(redisops.Check{Kind: redisops.KindEqual, Key: sp + "datakey", Values: []string{string(key.Wrapped)}})
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
		return nil, fmt.Errorf("redisstore: plan case: %w", err)
	}
	sp := p + "subject:" + c.SubjectRef + ":"
	plan := &redisops.Plan{Livc: c.Livc}
	plan.Check(redisops.Check{Kind: redisops.KindAbsent, Key: key, OnFail: redisops.Conflict, Detail: "case already exists"})
	planStored(plan, sp, c.SignalIDs)
	plan.Do("SET", key, string(doc))
	seq := plan.Do("INCR", p+"cases:seq")
	plan.DoWithRef(seq, "ZADD", p+"cases", c.ID)
	plan.Do("SADD", sp+"cases", c.ID)
	if c.Open() {
		for _, a := range c.Roster {
			plan.DoWithRef(seq, "ZADD", p+"actor:"+a+":cases", c.ID)
		}
	}
	for _, f := range countsOf(c) {
		plan.Do("HINCRBY", p+"stats:cases", f, "1")
	}
	if err := s.planIntoDossier(ctx, plan, p, c.ID, c.SignalIDs, ""); err != nil {
		return nil, err
	}
	return plan, plan.Validate()
}

// planStored holds a plan while each record of ids is stored.
func planStored(plan *redisops.Plan, sp string, ids []string) {
	for _, id := range ids {
		plan.Check(redisops.Check{Kind: redisops.KindField, Key: sp + "records", Field: id})
	}
}

// PlanTakeSignals plans dossier prev, as loaded, becoming next (as
// PlanUpdateCase plans it) and the signals taken moving to in_dossier with
// next's id (as PlanCreateCase moves its own). It holds while the dossier
// is still prev, each taken signal's record still stored and its intake
// entry still in the state it was read in: one moved meanwhile (dismissed,
// withdrawn, taken by another dossier) makes the plan stale.
func (s *Store) PlanTakeSignals(ctx context.Context, prev, next broker.Case, taken []broker.SignalEntry) (broker.Write, error) {
	plan, err := s.planUpdateCase(ctx, prev, next, broker.KeyUse{})
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
			return nil, errors.New("redisstore: plan take signals: a signal of another person or state")
		}
		ids[i], state = e.ID, e.State
	}
	if len(ids) == 0 {
		return nil, errors.New("redisstore: plan take signals: no signal")
	}
	planStored(plan, p+"subject:"+next.SubjectRef+":", ids)
	if err := s.planIntoDossier(ctx, plan, p, next.ID, ids, state); err != nil {
		return nil, err
	}
	return plan, plan.Validate()
}

// PlanUpdateCase plans replacing prev, as loaded, by next: the document, the
// roster index (an open dossier is indexed under each actor of its roster, a
// closed one under none) and the counts. It holds while the stored dossier
// is byte for byte prev's encoding, and while key is the person's (or, fresh,
// while the person has none). A dossier does not change cell, id or subject.
func (s *Store) PlanUpdateCase(ctx context.Context, prev, next broker.Case, key broker.KeyUse) (broker.Write, error) {
	plan, err := s.planUpdateCase(ctx, prev, next, key)
	if err != nil {
		return nil, err
	}
	return plan, plan.Validate()
}

// planUpdateCase is PlanUpdateCase's plan, for others to add to.
func (s *Store) planUpdateCase(ctx context.Context, prev, next broker.Case, key broker.KeyUse) (*redisops.Plan, error) {
	p, k, err := caseKeys(next)
	if err != nil {
		return nil, err
	}
	if prev.ID != next.ID || prev.Livc != next.Livc || prev.SubjectRef != next.SubjectRef {
		return nil, errors.New("redisstore: plan case update: cell, id or subject changed")
	}
	was, err := json.Marshal(prev)
	if err != nil {
		return nil, fmt.Errorf("redisstore: plan case update: %w", err)
	}
	doc, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("redisstore: plan case update: %w", err)
	}
	score, err := s.c.ZScore(ctx, p+"cases", next.ID).Result()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("plan case update", err)
	}
	seq := strconv.FormatInt(int64(score), 10)
	plan := &redisops.Plan{Livc: next.Livc}
	plan.Check(redisops.Check{Kind: redisops.KindEqual, Key: k, Values: []string{string(was)}})
	planKey(plan, p+"subject:"+next.SubjectRef+":", key)
	plan.Do("SET", k, string(doc))
	keep := map[string]bool{}
	if next.Open() {
		for _, a := range next.Roster {
			keep[a] = true
			plan.Do("ZADD", p+"actor:"+a+":cases", seq, next.ID)
		}
	}
	for _, a := range prev.Roster {
		if !keep[a] {
			plan.Do("ZREM", p+"actor:"+a+":cases", next.ID)
		}
	}
	before, after := countsOf(prev), countsOf(next)
	for i := range before {
		if before[i] != after[i] {
			plan.Do("HINCRBY", p+"stats:cases", before[i], "-1")
			plan.Do("HINCRBY", p+"stats:cases", after[i], "1")
		}
	}
	return plan, nil
}

// countsOf returns the count fields a dossier adds one to.
func countsOf(c broker.Case) [3]string {
	prio := "none"
	if c.Priority != 0 {
		prio = strconv.Itoa(c.Priority)
	}
	return [3]string{"state:" + c.State, "category:" + c.Category, "priority:" + prio}
}

// PlanErase plans erasing a person as EraseSubject does: the data key,
// records, record order, source index, alias set and dossier set deleted,
// every alias still linked to ref unlinked, and every dossier about the
// person deleted with its index entries and counts (eraseDossiers);
// besides, their signals leave the intake and their envelopes stay spent
// (planForgetIntake). It holds while the data key, the alias set, the
// sources and each dossier are as read. It returns the data key the plan
// deletes, or
// broker.ErrNotFound when the person has nothing stored.
func (s *Store) PlanErase(ctx context.Context, livc, ref string) (broker.Write, []byte, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, nil, err
	}
	sp, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, nil, err
	}
	var dk *redis.StringCmd
	var members, sources *redis.StringSliceCmd
	var others, ncases *redis.IntCmd
	var docs *redis.Cmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		dk = tx.Get(ctx, sp+"datakey")
		members = tx.SMembers(ctx, sp+"aliases")
		sources = tx.SMembers(ctx, sp+"sources")
		others = tx.Exists(ctx, sp+"records", sp+"record-ids", sp+"cases")
		ncases = tx.SCard(ctx, sp+"cases")
		docs = casesOfSubjectScript.Eval(ctx, tx, []string{sp + "cases"}, p+"case:")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fail("plan erase", err)
	}
	wrapped, _ := dk.Bytes()
	aliases := members.Val()
	if len(wrapped) == 0 && len(aliases) == 0 && others.Val() == 0 {
		return nil, nil, broker.ErrNotFound
	}
	dossiers, err := docs.StringSlice()
	if err != nil {
		return nil, nil, fail("plan erase", err)
	}
	plan := &redisops.Plan{Livc: livc}
	if len(wrapped) > 0 {
		plan.Check(redisops.Check{Kind: redisops.KindEqual, Key: sp + "datakey", Values: []string{string(wrapped)}})
	} else {
		plan.Check(redisops.Check{Kind: redisops.KindAbsent, Key: sp + "datakey"})
	}
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "aliases", N: int64(len(aliases))})
	if len(aliases) > 0 {
		links, err := s.c.HMGet(ctx, p+"aliases", aliases...).Result()
		if err != nil {
			return nil, nil, fail("plan erase", err)
		}
		for i, v := range links {
			if linked, _ := v.(string); linked == ref {
				plan.Check(redisops.Check{Kind: redisops.KindField, Key: p + "aliases", Field: aliases[i], Values: []string{ref}})
				plan.Do("HDEL", p+"aliases", aliases[i])
			}
		}
	}
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "sources", N: int64(len(sources.Val()))})
	for _, a := range sources.Val() {
		plan.Do("DEL", sp+"source:"+a)
	}
	if err := eraseDossiers(plan, p, sp, ncases.Val(), dossiers); err != nil {
		return nil, nil, fail("plan erase", err)
	}
	if err := s.planForgetIntake(ctx, plan, p, sp); err != nil {
		return nil, nil, err
	}
	for _, k := range []string{"datakey", "records", "record-ids", "aliases", "sources", "indexed", "cases", "withdrawn"} {
		plan.Do("DEL", sp+k)
	}
	return plan, wrapped, plan.Validate()
}

// eraseDossiers adds to plan the deletion of the person's dossiers (docs,
// as stored): each document, its entries in the cell's index and in its
// roster's, and its counts. Their texts are sealed under the person's data
// key, which the erasure deletes, but the dossier itself (its category,
// state, roster, history of who moved it when, tasks) is about the person
// too: nothing of it stays, so that every request about it is the uniform
// 404 and no write can bring it, or a key for the person, back. Each
// dossier must still be as read at commit (else the plan is stale), and the
// person's set of dossiers must still have n members, so that a dossier
// registered meanwhile is not left behind.
func eraseDossiers(plan *redisops.Plan, p, sp string, n int64, docs []string) error {
	plan.Check(redisops.Check{Kind: redisops.KindCount, Key: sp + "cases", N: n})
	for _, doc := range docs {
		var c broker.Case
		if err := json.Unmarshal([]byte(doc), &c); err != nil || c.ID == "" {
			return errors.New("stored dossier is not valid JSON")
		}
		key := p + "case:" + c.ID
		plan.Check(redisops.Check{Kind: redisops.KindEqual, Key: key, Values: []string{doc}})
		plan.Do("DEL", key)
		plan.Do("DEL", meetingsKey(p, c.ID)) // its minutes (meetings.go)
		plan.Do("ZREM", p+"cases", c.ID)
		for _, a := range c.Roster {
			plan.Do("ZREM", p+"actor:"+a+":cases", c.ID)
		}
		for _, f := range countsOf(c) {
			plan.Do("HINCRBY", p+"stats:cases", f, "-1")
		}
	}
	return nil
}
