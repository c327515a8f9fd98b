package redisstore

import (
	"context"
	"errors"
	"fmt"

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

// RecordsAndDataKey returns the subject's sealed records, as Records does,
// and its wrapped data key (nil when it has none: erased, or never written),
// read together in one MULTI, one round trip on the card read's path.
func (s *Store) RecordsAndDataKey(ctx context.Context, livc, ref string) ([]broker.SealedRecord, []byte, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, nil, err
	}
	var ids *redis.StringSliceCmd
	var all *redis.MapStringStringCmd
	var key *redis.StringCmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		ids = tx.LRange(ctx, p+"record-ids", 0, -1)
		all = tx.HGetAll(ctx, p+"records")
		key = tx.Get(ctx, p+"datakey")
		return nil
	})
	if err != nil && !(errors.Is(err, redis.Nil) && errors.Is(key.Err(), redis.Nil) && ids.Err() == nil && all.Err() == nil) {
		return nil, nil, fail("records", err)
	}
	recs := make([]broker.SealedRecord, 0, len(ids.Val()))
	for _, id := range ids.Val() {
		sealed, ok := all.Val()[id]
		if !ok {
			return nil, nil, fail("records", fmt.Errorf("record listed without payload"))
		}
		recs = append(recs, broker.SealedRecord{ID: id, Sealed: []byte(sealed)})
	}
	var wrapped []byte
	if key.Err() == nil {
		wrapped = []byte(key.Val())
	}
	return recs, wrapped, nil
}
