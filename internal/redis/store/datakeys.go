package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// Data keys across cells, for key maintenance (re-wrapping under a new KEK
// or key epoch) and erasure. Key maintenance state lives outside any cell:
//
//	livc:keys:rotation   hash   target (KEK id), cursor (SCAN cursor), started
//
// SCAN walks one Redis node; on Redis Cluster a walk covers the node the
// client picks only (a limitation, see the README).

const (
	dataKeyPattern = "livc:{livc:*}:subject:*:datakey"
	rotationKey    = "livc:keys:rotation"
)

// ScanDataKeys visits up to about count data keys from cursor (0 to start)
// and returns the cursor to continue from, 0 once the walk is done. fn gets
// each data key's Redis key and wrapped value; an error of fn stops the
// walk. A key deleted during the walk is skipped; SCAN may visit a key
// twice.
func (s *Store) ScanDataKeys(ctx context.Context, cursor uint64, count int64, fn func(key string, wrapped []byte) error) (uint64, error) {
	keys, next, err := s.c.Scan(ctx, cursor, dataKeyPattern, count).Result()
	if err != nil {
		return 0, fail("scan data keys", err)
	}
	for _, k := range keys {
		v, err := s.c.Get(ctx, k).Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return 0, fail("scan data keys", err)
		}
		if err := fn(k, v); err != nil {
			return 0, err
		}
	}
	return next, nil
}

// ReplaceDataKey sets the data key stored at key (as ScanDataKeys named it)
// to next if it still holds prev, and reports whether it did: a concurrent
// change (another re-wrap, an erasure) wins, and the caller reads again.
func (s *Store) ReplaceDataKey(ctx context.Context, key string, prev, next []byte) (bool, error) {
	if !strings.HasPrefix(key, "livc:{livc:") || !strings.HasSuffix(key, ":datakey") || len(next) == 0 {
		return false, errors.New("store: replace data key: not a data key")
	}
	n, err := casScript.Run(ctx, s.c, []string{key}, prev, next).Int()
	if err != nil {
		return false, fail("replace data key", err)
	}
	return n == 1, nil
}

// DataKeyAt returns the data key stored at key, or broker.ErrNotFound.
func (s *Store) DataKeyAt(ctx context.Context, key string) ([]byte, error) {
	v, err := s.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("data key", err)
	}
	return v, nil
}

// Rotation is a KEK rotation in progress: the KEK every data key is being
// re-wrapped under and where the walk stands.
type Rotation struct {
	Target  string
	Cursor  uint64
	Started string
}

// RotationInProgress returns the rotation in progress, or broker.ErrNotFound.
func (s *Store) RotationInProgress(ctx context.Context) (Rotation, error) {
	m, err := s.c.HGetAll(ctx, rotationKey).Result()
	if err != nil {
		return Rotation{}, fail("rotation", err)
	}
	if m["target"] == "" {
		return Rotation{}, broker.ErrNotFound
	}
	cur, err := strconv.ParseUint(m["cursor"], 10, 64)
	if err != nil {
		return Rotation{}, fail("rotation", errors.New("corrupt cursor"))
	}
	return Rotation{Target: m["target"], Cursor: cur, Started: m["started"]}, nil
}

// SaveRotation records where a rotation stands, so that an interrupted one
// resumes there.
func (s *Store) SaveRotation(ctx context.Context, r Rotation) error {
	err := s.c.HSet(ctx, rotationKey, "target", r.Target, "cursor", strconv.FormatUint(r.Cursor, 10), "started", r.Started).Err()
	if err != nil {
		return fail("save rotation", err)
	}
	return nil
}

// EndRotation forgets the rotation in progress.
func (s *Store) EndRotation(ctx context.Context) error {
	if err := s.c.Del(ctx, rotationKey).Err(); err != nil {
		return fail("end rotation", err)
	}
	return nil
}
