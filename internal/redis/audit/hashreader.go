package audit

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"
)

// hashReader reads stored hashes: from the maps in known first, then from
// the tree string in one pipelined round trip.
type hashReader struct {
	ctx   context.Context
	c     redis.UniversalClient
	key   string
	known []map[int64]tlog.Hash
}

func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int
	for i, x := range indexes {
		found := false
		for _, m := range r.known {
			if h, ok := m[x]; ok {
				out[i], found = h, true
				break
			}
		}
		if !found {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(missing))
	for j, i := range missing {
		off := indexes[i] * tlog.HashSize
		cmds[j] = pipe.GetRange(r.ctx, r.key+":tree", off, off+tlog.HashSize-1)
	}
	if _, err := pipe.Exec(r.ctx); err != nil {
		return nil, err
	}
	for j, i := range missing {
		b := cmds[j].Val()
		if len(b) != tlog.HashSize {
			return nil, errors.New("stored hash " + strconv.FormatInt(indexes[i], 10) + " missing")
		}
		copy(out[i][:], b)
	}
	return out, nil
}
