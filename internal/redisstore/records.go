package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// putRecordScript stores a record and, the first time its id is seen, appends
// the id to the order list. KEYS[1] the records hash, KEYS[2] the id list;
// ARGV[1] the id, ARGV[2] the sealed bytes.
var putRecordScript = redis.NewScript(`
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return 1
`)

// PutRecord stores rec under the subject. Storing an id again replaces its
// sealed bytes and keeps its place in the order, so a retried write does not
// duplicate the record. It refuses an empty id or empty sealed bytes.
func (s *Store) PutRecord(ctx context.Context, livc, ref string, rec broker.SealedRecord) error {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return err
	}
	if rec.ID == "" || len(rec.Sealed) == 0 {
		return errors.New("redisstore: put record: empty id or payload")
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
	recs := make([]broker.SealedRecord, 0, len(ids.Val()))
	for _, id := range ids.Val() {
		sealed, ok := all.Val()[id]
		if !ok {
			return nil, fail("records", fmt.Errorf("record listed without payload"))
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

// readSubjectScript reads what a card read needs about a subject, at one
// moment: its dossiers, its record ids in order with each record, and its
// data key. KEYS[1] the subject's set of dossier ids, KEYS[2] its record id
// list, KEYS[3] its records hash, KEYS[4] its data key; ARGV[1] the prefix
// of dossier keys, in the same hash slot. A dossier id whose dossier is gone
// is skipped; a record id without its record is returned as false, for the
// caller to refuse.
var readSubjectScript = redis.NewScript(luaCaseDocs + `
local docs = case_docs(KEYS[1], ARGV[1])
local ids = redis.call('LRANGE', KEYS[2], 0, -1)
local sealed = {}
for i = 1, #ids, 1000 do
  local got = redis.call('HMGET', KEYS[3], unpack(ids, i, math.min(i + 999, #ids)))
  for j, v in ipairs(got) do sealed[i + j - 1] = v end
end
return {docs, ids, sealed, redis.call('GET', KEYS[4])}
`)

// ReadSubject returns the state and roster of the subject's dossiers (those
// of CasesOfSubject, in no order), its sealed
// records (as Records) and wrapped data key (nil when it has none), read in
// one script run: one round trip, and one moment of the store.
func (s *Store) ReadSubject(ctx context.Context, livc, ref string) (broker.SubjectData, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return broker.SubjectData{}, err
	}
	cp, _ := cellPrefix(livc)
	keys := []string{p + "cases", p + "record-ids", p + "records", p + "datakey"}
	reply, err := s.reads.run(ctx, readSubjectScript, keys, cp+"case:").Slice()
	if err != nil {
		return broker.SubjectData{}, fail("read subject", err)
	}
	docs, ids, sealed, key, err := subjectReply(reply)
	if err != nil {
		return broker.SubjectData{}, fail("read subject", err)
	}
	var d broker.SubjectData
	d.Dossiers = make([]broker.DossierRoster, len(docs))
	for i, doc := range docs {
		if err := json.Unmarshal([]byte(doc), &d.Dossiers[i]); err != nil {
			return broker.SubjectData{}, fail("read subject", errors.New("stored dossier is not valid JSON"))
		}
	}
	d.Sealed = make([]broker.SealedRecord, 0, len(ids))
	for i, id := range ids {
		if sealed[i] == nil {
			return broker.SubjectData{}, fail("read subject", errors.New("record listed without payload"))
		}
		d.Sealed = append(d.Sealed, broker.SealedRecord{ID: id, Sealed: []byte(*sealed[i])})
	}
	if key != nil {
		d.Wrapped = []byte(*key)
	}
	return d, nil
}

// subjectReply takes readSubjectScript's reply apart: nil stands for what
// Redis answered as nil (a missing record, no data key).
func subjectReply(reply []any) (docs, ids []string, sealed []*string, key *string, err error) {
	if len(reply) != 4 {
		return nil, nil, nil, nil, fmt.Errorf("a reply of %d parts", len(reply))
	}
	strs := func(v any) ([]*string, error) {
		arr, ok := v.([]any)
		if !ok && v != nil {
			return nil, fmt.Errorf("a reply part of type %T", v)
		}
		out := make([]*string, len(arr))
		for i, x := range arr {
			switch x := x.(type) {
			case string:
				out[i] = &x
			case nil:
			default:
				return nil, fmt.Errorf("a reply item of type %T", x)
			}
		}
		return out, nil
	}
	var parts [3][]*string
	for i := range parts {
		if parts[i], err = strs(reply[i]); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	for _, part := range [][]*string{parts[0], parts[1]} {
		if slices.Contains(part, nil) {
			return nil, nil, nil, nil, errors.New("a nil dossier or record id")
		}
	}
	if len(parts[2]) != len(parts[1]) {
		return nil, nil, nil, nil, errors.New("records and ids do not match")
	}
	switch k := reply[3].(type) {
	case string:
		key = &k
	case nil:
	default:
		return nil, nil, nil, nil, fmt.Errorf("a data key of type %T", k)
	}
	deref := func(ps []*string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = *p
		}
		return out
	}
	return deref(parts[0]), deref(parts[1]), parts[2], key, nil
}
