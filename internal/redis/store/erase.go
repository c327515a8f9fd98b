package store

import (
	"context"
	"errors"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

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
