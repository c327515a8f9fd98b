package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/redis/go-redis/v9"
)

// A withdrawal, and an expiry that leaves the person something, re-keys
// the person (broker/signals_rekey.go): the store reads what the person
// holds sealed (PersonSealed) and plans it replaced, re-sealed under a
// fresh data key, with the withdrawal or expiry (planRekey).

// PersonSealed reads person ref's wrapped data key, every sealed record,
// their dossiers and each dossier's conferences: the key, records and
// dossiers in one MULTI, the conferences after. The plan of a re-keying
// checks every part of it again at commit, so a change in between makes
// the withdrawal re-plan. An unknown person is an empty PersonSealed.
func (s *Store) PersonSealed(ctx context.Context, livc, ref string) (broker.PersonSealed, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.PersonSealed{}, err
	}
	sp, err := subjectPrefix(livc, ref)
	if err != nil {
		return broker.PersonSealed{}, err
	}
	var dk *redis.StringCmd
	var all *redis.MapStringStringCmd
	var ncases *redis.IntCmd
	var docs *redis.Cmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		dk = tx.Get(ctx, sp+"datakey")
		all = tx.HGetAll(ctx, sp+"records")
		ncases = tx.SCard(ctx, sp+"cases")
		docs = casesOfSubjectScript.Eval(ctx, tx, []string{sp + "cases"}, p+"case:")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return broker.PersonSealed{}, fail("person sealed", err)
	}
	out := broker.PersonSealed{CaseCount: ncases.Val(), Meetings: map[string][]broker.Meeting{}}
	out.Wrapped, _ = dk.Bytes()
	for id, sealed := range all.Val() {
		out.Records = append(out.Records, broker.SealedRecord{ID: id, Sealed: []byte(sealed)})
	}
	slices.SortFunc(out.Records, func(a, b broker.SealedRecord) int { return strings.Compare(a.ID, b.ID) })
	list, err := docs.StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return broker.PersonSealed{}, fail("person sealed", err)
	}
	if out.Cases, err = decodeCases(list); err != nil {
		return broker.PersonSealed{}, fail("person sealed", err)
	}
	for _, k := range out.Cases {
		if out.Meetings[k.ID], err = s.Meetings(ctx, livc, k.ID); err != nil {
			return broker.PersonSealed{}, err
		}
	}
	return out, nil
}

// planRekey adds to write the re-keying rk of the person whose keys start
// with sp, in cell prefix p, the records removed and the dossiers cases
// deleted by the rest of the plan: the data key replaced, the other
// records, the dossiers' documents and their conferences replaced by their
// re-sealed forms. Every removed record must be in rk.Was and left out of
// rk.Now. It holds while the data key, every record, the set of dossiers,
// each kept dossier's document and its number of conferences are as in
// rk.Was.
func planRekey(write *plan.Plan, p, sp string, removed, cases []string, rk broker.Rekey) error {
	was, now := rk.Was, rk.Now
	kept := slices.DeleteFunc(slices.Clone(was.Cases), func(k broker.Case) bool { return slices.Contains(cases, k.ID) })
	gone := 0
	for _, sr := range was.Records {
		if slices.Contains(removed, sr.ID) {
			gone++
		}
	}
	if len(was.Wrapped) == 0 || len(now.Wrapped) == 0 || len(now.Cases) != len(kept) ||
		gone != len(removed) || len(now.Records) != len(was.Records)-gone {
		return errors.New("store: plan rekey: no key, or not one re-sealed form of each")
	}
	write.Check(plan.Check{Kind: plan.KindEqual, Key: sp + "datakey", Values: []string{string(was.Wrapped)}})
	write.Do("SET", sp+"datakey", string(now.Wrapped))
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "records", N: int64(len(was.Records))})
	for _, sr := range was.Records {
		write.Check(plan.Check{Kind: plan.KindField, Key: sp + "records", Field: sr.ID, Values: []string{string(sr.Sealed)}})
	}
	for _, sr := range now.Records {
		if slices.Contains(removed, sr.ID) || len(sr.Sealed) == 0 {
			return errors.New("store: plan rekey: a removed record kept, or an empty one")
		}
		write.Do("HSET", sp+"records", sr.ID, string(sr.Sealed))
	}
	write.Check(plan.Check{Kind: plan.KindCount, Key: sp + "cases", N: was.CaseCount})
	for i, k := range kept {
		if err := planRekeyCase(write, p, k, now.Cases[i], was.Meetings[k.ID], now.Meetings[k.ID]); err != nil {
			return err
		}
	}
	return nil
}

// planRekeyCase plans dossier prev, as read with its conferences ms, replaced
// by next and its conferences by resealed.
func planRekeyCase(write *plan.Plan, p string, prev, next broker.Case, ms, resealed []broker.Meeting) error {
	if prev.ID != next.ID || len(ms) != len(resealed) {
		return errors.New("store: plan rekey: dossiers or conferences out of step")
	}
	_, key, err := caseKeys(prev)
	if err != nil {
		return err
	}
	was, err := json.Marshal(prev)
	if err != nil {
		return fmt.Errorf("store: plan rekey: %w", err)
	}
	doc, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("store: plan rekey: %w", err)
	}
	write.Check(plan.Check{Kind: plan.KindEqual, Key: key, Values: []string{string(was)}})
	write.Do("SET", key, string(doc))
	write.Check(plan.Check{Kind: plan.KindCount, Key: meetingsKey(p, prev.ID), N: int64(len(ms))})
	if len(resealed) == 0 {
		return nil
	}
	docs := make([]string, len(resealed))
	for i, m := range resealed {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("store: plan rekey: %w", err)
		}
		docs[i] = string(b)
	}
	write.Do("DEL", meetingsKey(p, prev.ID))
	write.Do("RPUSH", meetingsKey(p, prev.ID), docs...)
	return nil
}
