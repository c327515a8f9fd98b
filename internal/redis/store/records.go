package store

import (
	"cmp"
	"context"
	"errors"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// PutRecord stores rec under the subject. Storing an id again replaces its
// sealed bytes and keeps its place in the order, so a retried write does not
// duplicate the record. It refuses an empty id or empty sealed bytes.
func (s *Store) PutRecord(ctx context.Context, livc, ref string, rec broker.SealedRecord) error {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return err
	}
	if rec.ID == "" || len(rec.Sealed) == 0 {
		return errors.New("store: put record: empty id or payload")
	}
	err = putRecordScript.Run(ctx, s.c, []string{p + "records", p + "record-ids"}, rec.ID, rec.Sealed).Err()
	if err != nil {
		return fail("put record", err)
	}
	return nil
}

// Records returns the subject's sealed records in the order they were first
// stored; none (and no error) for a subject without records. It reads the
// order and the records in one MULTI, so it never sees an id without its
// record.
func (s *Store) Records(ctx context.Context, livc, ref string) ([]broker.SealedRecord, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	var ids *redis.StringSliceCmd
	var all *redis.MapStringStringCmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		ids = tx.LRange(ctx, p+"record-ids", 0, -1)
		all = tx.HGetAll(ctx, p+"records")
		return nil
	})
	if err != nil {
		return nil, fail("records", err)
	}
	recs, err := inOrder(ids.Val(), all.Val())
	if err != nil {
		return nil, fail("records", err)
	}
	return recs, nil
}

// inOrder returns the records of all (id -> sealed bytes) in the order of
// ids, refusing an id without its record.
func inOrder(ids []string, all map[string]string) ([]broker.SealedRecord, error) {
	recs := make([]broker.SealedRecord, 0, len(ids))
	for _, id := range ids {
		sealed, ok := all[id]
		if !ok {
			return nil, errors.New("record listed without payload")
		}
		recs = append(recs, broker.SealedRecord{ID: id, Sealed: []byte(sealed)})
	}
	return recs, nil
}

// HasRecord reports whether the subject has a record with that id.
func (s *Store) HasRecord(ctx context.Context, livc, ref, id string) (bool, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return false, err
	}
	ok, err := s.c.HExists(ctx, p+"records", id).Result()
	if err != nil {
		return false, fail("has record", err)
	}
	return ok, nil
}

// ReadSubject returns the state and roster of the subject's dossiers (those
// of CasesOfSubject, in no order), its sealed records (as Records) and its
// wrapped data key (nil when it has none), read in one MULTI: one round
// trip, and one moment of the store. Only the dossiers go through a script
// (casesOfSubjectScript: their keys are known only from the set); the
// records and the key are plain commands, which cost Redis a fraction of
// what a script's calls and its strings cost.
func (s *Store) ReadSubject(ctx context.Context, livc, ref string) (broker.SubjectData, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return broker.SubjectData{}, err
	}
	cp, _ := cellPrefix(livc)
	var (
		docs *redis.Cmd
		ids  *redis.StringSliceCmd
		all  *redis.MapStringStringCmd
		key  *redis.StringCmd
	)
	err = s.reads(cp).run(ctx, []*redis.Script{casesOfSubjectScript}, func(ctx context.Context, tx redis.Pipeliner) []redis.Cmder {
		docs = casesOfSubjectScript.EvalSha(ctx, tx, []string{p + "cases"}, cp+"case:")
		ids = tx.LRange(ctx, p+"record-ids", 0, -1)
		all = tx.HGetAll(ctx, p+"records")
		key = tx.Get(ctx, p+"datakey")
		return []redis.Cmder{docs, ids, all, key}
	})
	if err != nil {
		return broker.SubjectData{}, fail("read subject", err)
	}
	return subjectData(&s.rosters, docs, ids, all, key)
}

// ReadScope returns, in one read (a MULTI through the cell's read pipe),
// the state and roster of the subject's dossiers, the ids of the records
// actor submitted (the subject's source index, in stored order) and the
// wrapped data key (nil when it has none). It reads the subject's records
// only when actor is on the roster of an open dossier of the subject
// (rosterRecordsScript; SubjectData.AllRead): anyone else's read costs the
// same whatever the records of others. A subject with records stored before
// the source index (the record order longer than the count of indexed
// records) is marked OwnPartial.
func (s *Store) ReadScope(ctx context.Context, livc, ref, actor string) (broker.SubjectData, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return broker.SubjectData{}, err
	}
	if actor == "" {
		return broker.SubjectData{}, errors.New("store: read scope: no actor")
	}
	cp, _ := cellPrefix(livc)
	var (
		docs *redis.Cmd
		own  *redis.StringSliceCmd
		key  *redis.StringCmd
		n    *redis.IntCmd
		ix   *redis.StringCmd
		recs *redis.Cmd
	)
	scripts := []*redis.Script{casesOfSubjectScript, rosterRecordsScript}
	err = s.reads(cp).run(ctx, scripts, func(ctx context.Context, tx redis.Pipeliner) []redis.Cmder {
		docs = casesOfSubjectScript.EvalSha(ctx, tx, []string{p + "cases"}, cp+"case:")
		own = tx.LRange(ctx, p+"source:"+actor, 0, -1)
		key = tx.Get(ctx, p+"datakey")
		n, ix = tx.LLen(ctx, p+"record-ids"), tx.Get(ctx, p+"indexed")
		recs = rosterRecordsScript.EvalSha(ctx, tx, []string{p + "cases", cp + "actor:" + actor + ":cases", p + "record-ids", p + "records"})
		return []redis.Cmder{docs, own, key, n, ix, recs}
	})
	if err != nil {
		return broker.SubjectData{}, fail("read scope", err)
	}
	if err := cmp.Or(own.Err(), n.Err()); err != nil {
		return broker.SubjectData{}, fail("read scope", err)
	}
	indexed, err := ix.Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return broker.SubjectData{}, fail("read scope", err)
	}
	d, err := subjectData(&s.rosters, docs, nil, nil, key)
	if err != nil {
		return broker.SubjectData{}, err
	}
	d.Own, d.OwnPartial = own.Val(), n.Val() != indexed
	if d.Sealed, d.AllRead, err = rosterRecords(recs); err != nil {
		return broker.SubjectData{}, fail("read scope", err)
	}
	return d, nil
}

// rosterRecords takes rosterRecordsScript's reply apart: nil (not read) or
// the records in order, refusing an id without its record.
func rosterRecords(cmd *redis.Cmd) ([]broker.SealedRecord, bool, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 {
		return nil, false, errors.New("unexpected reply")
	}
	ids, _ := pair[0].([]any)
	vals, _ := pair[1].([]any)
	if len(ids) != len(vals) {
		return nil, false, errors.New("unexpected reply")
	}
	recs := make([]broker.SealedRecord, 0, len(ids))
	for i := range ids {
		id, _ := ids[i].(string)
		sealed, ok := vals[i].(string)
		if id == "" || !ok {
			return nil, false, errors.New("record listed without payload")
		}
		recs = append(recs, broker.SealedRecord{ID: id, Sealed: []byte(sealed)})
	}
	return recs, true, nil
}

// SealedRecords returns the subject's sealed records with ids, in the order
// of ids (one HMGET); an id whose record is gone is left out.
func (s *Store) SealedRecords(ctx context.Context, livc, ref string, ids []string) ([]broker.SealedRecord, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	vals, err := s.c.HMGet(ctx, p+"records", ids...).Result()
	if err != nil {
		return nil, fail("sealed records", err)
	}
	recs := make([]broker.SealedRecord, 0, len(ids))
	for i, v := range vals {
		if sealed, ok := v.(string); ok {
			recs = append(recs, broker.SealedRecord{ID: ids[i], Sealed: []byte(sealed)})
		}
	}
	return recs, nil
}

// subjectData is ReadSubject's answer from its commands' replies, its
// dossiers decoded through rosters.
func subjectData(rosters *rosterCache, docs *redis.Cmd, ids *redis.StringSliceCmd, all *redis.MapStringStringCmd, key *redis.StringCmd) (broker.SubjectData, error) {
	ds, err := docs.StringSlice()
	if err != nil {
		return broker.SubjectData{}, fail("read subject", err)
	}
	var d broker.SubjectData
	d.Dossiers = make([]broker.DossierRoster, len(ds))
	for i, doc := range ds {
		if d.Dossiers[i], err = rosters.decode(doc); err != nil {
			return broker.SubjectData{}, fail("read subject", err)
		}
	}
	if ids != nil { // nil for ReadScope, which reads no record
		if err := cmp.Or(ids.Err(), all.Err()); err != nil {
			return broker.SubjectData{}, fail("read subject", err)
		}
		if d.Sealed, err = inOrder(ids.Val(), all.Val()); err != nil {
			return broker.SubjectData{}, fail("read subject", err)
		}
	}
	switch k, err := key.Bytes(); {
	case err == nil:
		d.Wrapped = k
	case !errors.Is(err, redis.Nil):
		return broker.SubjectData{}, fail("read subject", err)
	}
	return d, nil
}
