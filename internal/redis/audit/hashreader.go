package audit

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"
)

// hashReader reads stored hashes: from the maps in known first, then from
// the log's tiles (tiles.go) in one pipelined round trip. A hash of a level
// that is no multiple of tileHeight is not stored: it is computed from the
// tile below it (tlog.HashFromTile), from at most 255 stored hashes.
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
	// The widest tile each missing hash needs, by level and number.
	wide := map[[2]int64]tlog.Tile{}
	for _, i := range missing {
		t := tlog.TileForIndex(tileHeight, indexes[i])
		k := [2]int64{int64(t.L), t.N}
		if w, ok := wide[k]; !ok || w.W < t.W {
			wide[k] = t
		}
	}
	data, err := readTiles(r.ctx, r.c, r.key, wide)
	if err != nil {
		return nil, err
	}
	for _, i := range missing {
		t := tlog.TileForIndex(tileHeight, indexes[i])
		w := wide[[2]int64{int64(t.L), t.N}]
		d := data[[2]int64{int64(t.L), t.N}]
		if len(d) < w.W*tlog.HashSize {
			return nil, errors.New("stored hash " + strconv.FormatInt(indexes[i], 10) + " missing")
		}
		h, err := tlog.HashFromTile(w, d, indexes[i])
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// readTiles reads, in one pipelined round trip, the first W hashes of each
// tile, by level and number. A tile holding fewer is returned short.
func readTiles(ctx context.Context, c redis.UniversalClient, key string, tiles map[[2]int64]tlog.Tile) (map[[2]int64][]byte, error) {
	pipe := c.Pipeline()
	cmds := make(map[[2]int64]*redis.StringCmd, len(tiles))
	for k, t := range tiles {
		cmds[k] = pipe.GetRange(ctx, tileKey(key, t.L, t.N), 0, int64(t.W)*tlog.HashSize-1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make(map[[2]int64][]byte, len(tiles))
	for k, cmd := range cmds {
		b, err := cmd.Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		out[k] = b
	}
	return out, nil
}
