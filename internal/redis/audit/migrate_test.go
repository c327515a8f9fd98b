package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// oldLayoutLog writes n entries to the cell's log as the version before
// tiles stored them: the stream, the ids, the head and every stored hash in
// one string (key:tree, hash i at byte 32i), and pushes a checkpoint of it
// signed with l's key. It returns that checkpoint.
func oldLayoutLog(t *testing.T, l *Log, c redis.UniversalClient, cell string, n int) auditlog.Checkpoint {
	t.Helper()
	ctx := context.Background()
	key, _ := StreamKey(cell)
	var tree []byte
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			copy(out[i][:], tree[x*tlog.HashSize:])
		}
		return out, nil
	})
	pipe := c.Pipeline()
	var leaf string
	for i := range n {
		head, err := canonicalHead(*entry(cell, i))
		if err != nil {
			t.Fatal(err)
		}
		doc := canonicalAt(head, int64(i))
		hs, err := tlog.StoredHashes(int64(i), doc, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			tree = append(tree, h[:]...)
		}
		leaf = LeafHash(doc)
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: fmt.Sprintf("0-%d", i+1), Values: []any{"entry", doc, "leaf", leaf}})
		pipe.HSet(ctx, key+":ids", fmt.Sprintf("aud_%d", i), i)
		if pipe.Len() > 2000 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	pipe.Set(ctx, key+":tree", tree, 0)
	if n > 0 {
		pipe.HSet(ctx, key+":head", "n", n, "leaf", leaf)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	root, err := tlog.TreeHash(int64(n), r)
	if err != nil {
		t.Fatal(err)
	}
	cp := auditlog.Checkpoint{Origin: auditlog.Origin(cell), Size: int64(n), Hash: root}
	note, err := auditlog.Sign(cp, l.conf.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if err := pushScript.Run(ctx, c, []string{key + ":head", key + ":checkpoints"}, n, note).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return cp
}

// TestMigrateOldLayout builds logs in the layout before tiles, refuses
// appends to them, moves them into tiles with two processes at once (and
// once more), and checks that every entry's inclusion proof verifies
// against the checkpoint signed before the move, that the tree grows from
// it consistently, and that appends continue and verify. The sizes cross a
// full tile of each level.
func TestMigrateOldLayout(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		for _, n := range []int{0, 1, 255, 256, 600, 65537} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				if n > 1000 && (testing.Short() || strings.Contains(t.Name(), "miniredis")) {
					t.Skip("a large log: on real Redis only, not in -short")
				}
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				l := signedLog(t, c, 0)
				old := oldLayoutLog(t, l, c, cell, n)
				if n > 0 {
					if err := l.Append(ctx, entry(cell, n)); err == nil || !strings.Contains(err.Error(), "tiles") && !strings.Contains(err.Error(), "unavailable") {
						t.Fatalf("an append to a log not moved into tiles: %v, want a refusal", err)
					}
				}
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range errs {
					wg.Go(func() { errs[i] = signedLog(t, c, 0).Migrate(ctx, []string{cell}) })
				}
				wg.Wait()
				if errs[0] != nil || errs[1] != nil {
					t.Fatalf("two migrations at once: %v, %v", errs[0], errs[1])
				}
				if err := l.Migrate(ctx, []string{cell}); err != nil {
					t.Fatalf("a migration of a migrated log: %v", err)
				}
				key, _ := StreamKey(cell)
				if c.Exists(ctx, key+":tree").Val() != 0 {
					t.Fatal("the tree string is still there")
				}
				checkProofs(t, l, cell, old, n)
				appendN(t, l, cell, n, 300)
				if rep := mustVerify(t, l, cell); !rep.OK || rep.Size != int64(n+300) {
					t.Fatalf("after appends: %+v", rep)
				}
				if n == 0 {
					return
				}
				cons, err := l.Consistency(ctx, cell, old.Size)
				if err != nil {
					t.Fatal(err)
				}
				newer, err := auditlog.OpenWith([]byte(cons.Checkpoint), l.conf.Verifier, old.Origin)
				if err != nil {
					t.Fatal(err)
				}
				proof, _ := auditlog.DecodeProof(cons.Proof)
				if err := tlog.CheckTree(proof, newer.Size, newer.Hash, old.Size, old.Hash); err != nil {
					t.Fatalf("the grown log is not consistent with the checkpoint signed before the move: %v", err)
				}
			})
		}
	})
}

// checkProofs checks the inclusion proof of every entry (every 997th of a
// large log) against old, the checkpoint signed in the old layout.
func checkProofs(t *testing.T, l *Log, cell string, old auditlog.Checkpoint, n int) {
	t.Helper()
	key, _ := StreamKey(cell)
	r := l.reader(context.Background(), key)
	step := 1
	if n > 1000 {
		step = 997
	}
	for i := 0; i < n; i += step {
		p, err := tlog.ProveRecord(old.Size, int64(i), r)
		if err != nil {
			t.Fatalf("proof of entry %d: %v", i, err)
		}
		head, _ := canonicalHead(*entry(cell, i))
		if err := tlog.CheckRecord(p, old.Size, old.Hash, int64(i), tlog.RecordHash(canonicalAt(head, int64(i)))); err != nil {
			t.Fatalf("entry %d against the old checkpoint: %v", i, err)
		}
	}
}

// TestMigrateFailsClosed checks that a tree string out of step with its
// head, or a tile that holds other hashes, stops the move with the string
// kept and appends still refused.
func TestMigrateFailsClosed(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		for _, tc := range []struct {
			name  string
			spoil func(ctx context.Context, key string)
		}{
			{"a string shorter than the head", func(ctx context.Context, key string) {
				c.Append(ctx, key+":tree", "x")
			}},
			{"a tile of other hashes", func(ctx context.Context, key string) {
				c.Set(ctx, key+":tile:0:0", strings.Repeat("y", 64), 0)
			}},
			{"a head of another size", func(ctx context.Context, key string) {
				c.HSet(ctx, key+":head", "n", 9)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				l := signedLog(t, c, 0)
				oldLayoutLog(t, l, c, cell, 10)
				key, _ := StreamKey(cell)
				tc.spoil(ctx, key)
				if err := l.Migrate(ctx, []string{cell}); err == nil || !strings.Contains(err.Error(), auditlog.Origin(cell)) {
					t.Fatalf("migration of a broken log: %v, want an error naming the log", err)
				}
				if c.Exists(ctx, key+":tree").Val() != 1 {
					t.Fatal("the tree string was deleted")
				}
				if err := l.Append(ctx, entry(cell, 10)); err == nil {
					t.Fatal("an append to the log not moved succeeded")
				}
			})
		}
	})
}

// failExists is a Redis hook that fails every EXISTS while on is set.
type failExists struct{ on atomic.Bool }

func (h *failExists) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failExists) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() && cmd.Name() == "exists" {
			cmd.SetErr(errors.New("connection lost"))
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}

func (h *failExists) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestMigrateRedisErrorFailsClosed checks that a failed move whose check
// for another process's success fails too is reported, not taken for that
// success: the tree string stays and the error names the log.
func TestMigrateRedisErrorFailsClosed(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := signedLog(t, c, 0)
		oldLayoutLog(t, l, c, cell, 10)
		key, _ := StreamKey(cell)
		c.Set(ctx, key+":tile:0:0", strings.Repeat("y", 64), 0)
		h := &failExists{}
		c.AddHook(h)
		h.on.Store(true)
		err := l.Migrate(ctx, []string{cell})
		h.on.Store(false)
		if err == nil || !strings.Contains(err.Error(), auditlog.Origin(cell)) {
			t.Fatalf("migration with Redis failing: %v, want an error naming the log", err)
		}
		if c.Exists(ctx, key+":tree").Val() != 1 {
			t.Fatal("the tree string was deleted")
		}
	})
}
