package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// Moving a log kept by an older version, with every stored hash in one
// string (key:tree, stored hash i at byte 32i), into tiles (tiles.go).

// migrateChunk is how many tiles one round trip of a migration writes.
const migrateChunk = 64

// Migrate moves the tree of each log of the cells (and of the log of no
// cell) still kept in one string into tiles, and then deletes the string.
// Until a log is moved its appends fail closed (the batch script refuses a
// log whose string exists), so no entry can fall between the two layouts.
//
// It is idempotent and safe while other processes migrate the same log:
// each tile is written only if absent (SET NX), a tile already there must
// begin with the hashes the string gives, the tree hash computed from the
// tiles must equal the one from the string, and a script deletes the
// string only if the head and the string are still of the size migrated
// and the last tile of each level holds exactly what that size gives. Any
// difference fails closed: the string stays, and the log refuses appends
// until an operator looks (the error says which log).
func (l *Log) Migrate(ctx context.Context, livcs []string) error {
	for _, livc := range append([]string{""}, livcs...) {
		key, err := l.streamKey(livc)
		if err != nil {
			return err
		}
		if err := l.migrate(ctx, key); err != nil {
			return fmt.Errorf("audit: moving the tree of %s into tiles: %w", auditlog.Origin(livc), err)
		}
	}
	return nil
}

// migrate moves one log's tree string into tiles.
func (l *Log) migrate(ctx context.Context, key string) error {
	tl, err := l.c.StrLen(ctx, key+":tree").Result()
	if err != nil || tl == 0 {
		if err == nil {
			// No string (or an empty one: a log never appended to).
			err = l.c.Del(ctx, key+":tree").Err()
		}
		return err
	}
	n, err := l.size(ctx, key)
	if err != nil {
		return err
	}
	if want := tlog.StoredHashCount(n) * tlog.HashSize; tl != want {
		return fmt.Errorf("the tree string holds %d bytes; a head of %d entries needs %d", tl, n, want)
	}
	err = l.moveTree(ctx, key, n, tl)
	if err == nil {
		return nil
	}
	// Another process may have finished first: its checks held, and
	// appends may have begun (a tile longer than what this one read). Only
	// a string known to be gone says so; a Redis error here is not that.
	if left, xerr := l.c.Exists(ctx, key+":tree").Result(); xerr == nil && left == 0 {
		return nil
	}
	return err
}

// moveTree writes the tiles of the log's tree string (of n entries, tl
// bytes), checks them, and deletes the string.
func (l *Log) moveTree(ctx context.Context, key string, n, tl int64) error {
	old := &treeReader{ctx: ctx, c: l.c, key: key}
	if err := WriteTiles(ctx, l.c, key, old, n); err != nil {
		return err
	}
	a, err := tlog.TreeHash(n, old)
	if err != nil {
		return err
	}
	b, err := tlog.TreeHash(n, l.reader(ctx, key))
	if err != nil {
		return err
	}
	if a != b {
		return errors.New("the tree hash from the tiles differs from the one from the string")
	}
	tiles := tileKeysFor(key, n, n)
	args := []any{n, tl}
	for _, t := range tiles {
		args = append(args, tileEnd(key, t, n))
	}
	keys := append([]string{key + ":head", key + ":tree"}, tiles...)
	return migrateScript.Run(ctx, l.c, keys, args...).Err()
}

// tileEnd is the length the tile t (one of tileKeysFor(key, n, n)) has in
// a log of n entries.
func tileEnd(key, t string, n int64) int64 {
	for l := 0; l == 0 || n>>(tileHeight*l) > 0; l++ {
		c := n >> (tileHeight * l)
		if tileKey(key, l, c>>tileHeight) == t {
			return (c % tileWidth) * tlog.HashSize
		}
	}
	return 0
}

// WriteTiles writes the tiles of the log key for a tree of n entries whose
// stored hashes r reads, each only if absent, and checks that each tile
// then begins with what r gives: migrateChunk tiles a round trip. Migrate
// uses it; tests use it to rebuild a log as one with full access to Redis
// could.
func WriteTiles(ctx context.Context, c redis.UniversalClient, key string, r tlog.HashReader, n int64) error {
	type tile struct {
		level int
		n     int64
		data  []byte
	}
	var batch []tile
	flush := func() error {
		pipe := c.Pipeline()
		gets := make([]*redis.StringCmd, len(batch))
		for i, t := range batch {
			pipe.SetNX(ctx, tileKey(key, t.level, t.n), t.data, 0)
			gets[i] = pipe.GetRange(ctx, tileKey(key, t.level, t.n), 0, int64(len(t.data))-1)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		for i, t := range batch {
			if got, _ := gets[i].Bytes(); string(got) != string(t.data) {
				return fmt.Errorf("tile %d/%d holds other hashes than the tree string", t.level, t.n)
			}
		}
		batch = batch[:0]
		return nil
	}
	for l := 0; n>>(tileHeight*l) > 0; l++ {
		count := n >> (tileHeight * l)
		for tn := int64(0); tn*tileWidth < count; tn++ {
			idx := make([]int64, 0, tileWidth)
			for i := tn * tileWidth; i < min(count, (tn+1)*tileWidth); i++ {
				idx = append(idx, tlog.StoredHashIndex(tileHeight*l, i))
			}
			hs, err := r.ReadHashes(idx)
			if err != nil {
				return err
			}
			data := make([]byte, 0, len(hs)*tlog.HashSize)
			for _, h := range hs {
				data = append(data, h[:]...)
			}
			if batch = append(batch, tile{l, tn, data}); len(batch) == migrateChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if len(batch) > 0 {
		return flush()
	}
	return nil
}

// treeReader reads stored hashes from a tree string, in one round trip,
// indexes close to each other in one range.
type treeReader struct {
	ctx context.Context
	c   redis.UniversalClient
	key string
}

func (r *treeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	sorted := slices.Clone(indexes)
	slices.Sort(sorted)
	type span struct{ lo, hi int64 }
	var spans []span
	for _, x := range sorted {
		if k := len(spans) - 1; k >= 0 && x-spans[k].hi < 64 {
			spans[k].hi = max(spans[k].hi, x)
			continue
		}
		spans = append(spans, span{x, x})
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(spans))
	for i, s := range spans {
		cmds[i] = pipe.GetRange(r.ctx, r.key+":tree", s.lo*tlog.HashSize, (s.hi+1)*tlog.HashSize-1)
	}
	if _, err := pipe.Exec(r.ctx); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		k, _ := slices.BinarySearchFunc(spans, x, func(s span, x int64) int {
			if s.hi < x {
				return -1
			}
			if s.lo > x {
				return 1
			}
			return 0
		})
		b := cmds[k].Val()
		off := (x - spans[k].lo) * tlog.HashSize
		if int64(len(b)) < off+tlog.HashSize {
			return nil, fmt.Errorf("stored hash %d missing from the tree string", x)
		}
		copy(out[i][:], b[off:])
	}
	return out, nil
}
