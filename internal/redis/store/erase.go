package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/redis/go-redis/v9"
)

// Erasure: a person's data deleted, directly (EraseSubject, for tools and
// tests) or planned for the audit log to perform with its entry
// (PlanErase, the broker's way).

// EraseSubject deletes the subject's data key, sealed records, alias links
// and dossier links, atomically, and returns the data key it deleted (so the
// caller can forget its unwrapped form). It returns broker.ErrNotFound when
// the subject had nothing stored. It is the store's direct erasure, for
// tools and tests; the broker erases through PlanErase, which also deletes
// the person's dossiers and source index with the audit entry.
func (s *Store) EraseSubject(ctx context.Context, livc, ref string) ([]byte, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	sp, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	keys := []string{p + "aliases", sp + "datakey", sp + "records", sp + "record-ids", sp + "aliases", sp + "cases"}
	v, err := eraseScript.Run(ctx, s.c, keys, ref).Text()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("erase subject", err)
	}
	return []byte(v), nil
}

// PlanErase plans erasing a person as EraseSubject does: the data key,
// records, record order, source index, alias set and dossier set deleted,
// every alias still linked to ref unlinked, and every dossier about the
// person deleted with its index entries and counts (eraseDossiers);
// besides, their signals leave the intake and their envelopes stay spent
// (planForgetIntake). It holds while the data key, the alias set, the
// sources and each dossier are as read. It returns the data key the plan
// deletes, or broker.ErrNotFound when the person has nothing stored.
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
	write := &plan.Plan{Livc: livc}
	if len(wrapped) > 0 {
		write.Check(plan.Check{Kind: plan.KindEqual, Key: sp + "datakey", Values: []string{string(wrapped)}})
	} else {
		write.Check(plan.Check{Kind: plan.KindAbsent, Key: sp + "datakey"})
	}
	if err := s.planUnlinkAliases(ctx, write, p, sp, ref, aliases); err != nil {
		return nil, nil, err
	}
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "sources", N: int64(len(sources.Val()))})
	for _, a := range sources.Val() {
		write.Do("DEL", sp+"source:"+a)
	}
	if err := eraseDossiers(write, p, sp, ncases.Val(), dossiers); err != nil {
		return nil, nil, fail("plan erase", err)
	}
	if err := s.planForgetIntake(ctx, write, p, sp); err != nil {
		return nil, nil, err
	}
	for _, k := range []string{"datakey", "records", "record-ids", "aliases", "sources", "indexed", "cases", "withdrawn"} {
		write.Do("DEL", sp+k)
	}
	return write, wrapped, write.Validate()
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
func eraseDossiers(write *plan.Plan, p, sp string, n int64, docs []string) error {
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "cases", N: n})
	for _, doc := range docs {
		var c broker.Case
		if err := json.Unmarshal([]byte(doc), &c); err != nil || c.ID == "" {
			return errors.New("stored dossier is not valid JSON")
		}
		key := p + "case:" + c.ID
		write.Check(plan.Check{Kind: plan.KindEqual, Key: key, Values: []string{doc}})
		write.Do("DEL", key)
		write.Do("DEL", meetingsKey(p, c.ID)) // its minutes (meetings.go)
		write.Do("ZREM", p+"cases", c.ID)
		for _, a := range c.Roster {
			write.Do("ZREM", p+"actor:"+a+":cases", c.ID)
		}
		for _, f := range countsOf(c) {
			write.Do("HINCRBY", p+"stats:cases", f, "-1")
		}
	}
	return nil
}

// planUnlinkAliases adds to write the unlinking of the person's aliases (of
// their alias set, as read) that are still linked to ref: an alias linked
// to another ref since keeps its link. It holds while the alias set has as
// many members and each unlinked alias still points at ref.
func (s *Store) planUnlinkAliases(ctx context.Context, write *plan.Plan, p, sp, ref string, aliases []string) error {
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "aliases", N: int64(len(aliases))})
	if len(aliases) == 0 {
		return nil
	}
	links, err := s.c.HMGet(ctx, p+"aliases", aliases...).Result()
	if err != nil {
		return fail("plan erase", err)
	}
	for i, v := range links {
		if linked, _ := v.(string); linked == ref {
			write.Check(plan.Check{Kind: plan.KindField, Key: p + "aliases", Field: aliases[i], Values: []string{ref}})
			write.Do("HDEL", p+"aliases", aliases[i])
		}
	}
	return nil
}
