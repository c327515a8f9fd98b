package store

import (
	"context"
	"errors"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// eraseScript deletes everything of one subject in one step. KEYS[1] the
// cell's alias hash, KEYS[2] data key, KEYS[3] records, KEYS[4] record ids,
// KEYS[5] the subject's alias set, KEYS[6] its dossier set; ARGV[1] the ref.
// An alias is unlinked only if it still points at ref. It returns the
// deleted data key, or false when the subject had nothing at all.
var eraseScript = redis.NewScript(`
local dk = redis.call('GET', KEYS[2])
local found = dk or redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5], KEYS[6]) > 0
for _, a in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  if redis.call('HGET', KEYS[1], a) == ARGV[1] then
    redis.call('HDEL', KEYS[1], a)
  end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
if dk then return dk end
if found then return '' end
return false
`)

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
