package audit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// signedLog returns a Log that signs checkpoints with a fresh key.
func signedLog(t *testing.T, c redis.UniversalClient, keep int) *Log {
	t.Helper()
	s, v := testKey(t)
	return NewWith(c, Conf{Signer: s, Verifier: v, KeepCheckpoints: keep})
}

func appendN(t *testing.T, l *Log, cell string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Append(context.Background(), entry(cell, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustVerify(t *testing.T, l *Log, cell string) broker.VerifyReport {
	t.Helper()
	rep, err := l.Verify(context.Background(), cell, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestVerifyStoredHashes tampers with the tiles only (the entries and their
// leaf hashes intact) and checks that Verify names the entry whose hashes
// in the tiles were changed.
func TestVerifyStoredHashes(t *testing.T) {
	flip := func(c redis.UniversalClient, key string, at int64) func(ctx context.Context, prefix string) error {
		// One byte flipped, not overwritten with a constant: a hash byte
		// that already held the constant (1 in 256 runs) left the tree
		// intact and the test failing by chance.
		return func(ctx context.Context, prefix string) error {
			b, err := c.GetRange(ctx, prefix+key, at, at).Bytes()
			if err != nil || len(b) != 1 {
				return fmt.Errorf("reading byte %d of %s: %v", at, key, err)
			}
			return c.SetRange(ctx, prefix+key, at, string([]byte{b[0] ^ 0xff})).Err()
		}
	}
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		for _, tc := range []struct {
			name   string
			size   int
			tamper func(ctx context.Context, prefix string) error
			index  int64
		}{
			{"leaf hash of entry 7 changed", 40, flip(c, "tile:0:0", 7*tlog.HashSize), 7},
			{"hash over entries 0..255 changed (tile of level 1)", 260, flip(c, "tile:1:0", 0), 255},
			{"tile cut short", 40, func(ctx context.Context, prefix string) error {
				b, err := c.GetRange(ctx, prefix+"tile:0:0", 0, 30*tlog.HashSize-1).Bytes()
				if err != nil {
					return err
				}
				return c.Set(ctx, prefix+"tile:0:0", b, 0).Err()
			}, 30},
			{"hashes appended", 40, func(ctx context.Context, prefix string) error {
				return c.Append(ctx, prefix+"tile:0:0", strings.Repeat("z", tlog.HashSize)).Err()
			}, 40},
			{"a tile past the end", 40, func(ctx context.Context, prefix string) error {
				return c.Set(ctx, prefix+"tile:0:1", strings.Repeat("z", tlog.HashSize), 0).Err()
			}, 40},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				l := signedLog(t, c, 0)
				appendN(t, l, cell, 0, tc.size)
				if rep := mustVerify(t, l, cell); !rep.OK || rep.Size != int64(tc.size) {
					t.Fatalf("intact log: %+v", rep)
				}
				key, _ := StreamKey(cell)
				if err := tc.tamper(ctx, key+":"); err != nil {
					t.Fatal(err)
				}
				rep := mustVerify(t, l, cell)
				if rep.OK || rep.Problem == nil || rep.Problem.Kind != auditlog.ProblemStoredHash || rep.Problem.Index != tc.index {
					t.Fatalf("after tampering: %+v, want %s at %d", rep.Problem, auditlog.ProblemStoredHash, tc.index)
				}
			})
		}
	})
}

// TestCheckpointsThinned signs a checkpoint after every append, far more
// than are kept, and checks that the list stays bounded, keeps the latest,
// still verifies, and still locates an entry rewritten with every hash
// recomputed between two kept checkpoints.
func TestCheckpointsThinned(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		const keep, n = 8, 300
		l := signedLog(t, c, keep)
		for i := range n {
			appendN(t, l, cell, i, 1)
			if _, err := l.Checkpoint(ctx, cell, true); err != nil {
				t.Fatal(err)
			}
		}
		notes, err := l.Checkpoints(ctx, cell)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		for _, nt := range notes {
			cp, err := auditlog.OpenWith(nt, l.conf.Verifier, auditlog.Origin(cell))
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, cp.Size)
		}
		// 2*16 small sizes, 16 per doubling from 32 to 256, one class of
		// 256..300, the latest, and up to thinEvery pushed since the last
		// thinning.
		if bound := 32 + 16*3 + 3 + keep + thinEvery; len(sizes) > bound || len(sizes) < keep {
			t.Fatalf("%d checkpoints kept of %d signed (bound %d): %v", len(sizes), n, bound, sizes)
		}
		for i := range keep {
			if got := sizes[len(sizes)-1-i]; got != int64(n-i) {
				t.Fatalf("latest checkpoints %v, want the last %d sizes up to %d", sizes[len(sizes)-keep:], keep, n)
			}
		}
		for i := 1; i < len(sizes); i++ {
			if sizes[i] <= sizes[i-1] {
				t.Fatalf("kept checkpoints out of order: %v", sizes)
			}
		}
		if rep := mustVerify(t, l, cell); !rep.OK || rep.Checkpoints != len(sizes)+1 && rep.Checkpoints != len(sizes) {
			t.Fatalf("verify after thinning: %+v (kept %d)", rep, len(sizes))
		}
		// Rewrite entry 150 with every hash recomputed: located between the
		// kept checkpoints around it, as dense as they still are.
		k := int64(150)
		lo, hi := int64(0), int64(n)
		for _, s := range sizes {
			if s <= k {
				lo = s
			} else if s < hi {
				hi = s
			}
		}
		rewrite(t, c, cell, k)
		rep := mustVerify(t, l, cell)
		if rep.OK || rep.Problem.Kind != auditlog.ProblemTree || rep.Problem.Index != lo || rep.Problem.Until != hi {
			t.Fatalf("rewritten entry %d: %+v, want %s in [%d, %d)", k, rep.Problem, auditlog.ProblemTree, lo, hi)
		}
		if hi-lo > int64(k)/auditlog.BucketsPerDoubling*2+1 {
			t.Fatalf("entry %d located only to [%d, %d)", k, lo, hi)
		}
	})
}

// rewrite edits entry k and recomputes every leaf hash, the stored tree and
// the head, as someone with full access to Redis but not the signing key
// would.
func rewrite(t *testing.T, c redis.UniversalClient, cell string, k int64) {
	t.Helper()
	ctx := context.Background()
	key, _ := StreamKey(cell)
	msgs := streamEntries(t, c, cell)
	msgs[k].Values["entry"] = strings.Replace(msgs[k].Values["entry"].(string), `"actor":"police"`, `"actor":"nobody"`, 1)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	if err := c.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		doc := []byte(m.Values["entry"].(string))
		hs, err := tlog.StoredHashes(int64(i), doc, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: m.ID, Values: []any{"entry", doc, "leaf", LeafHash(doc)}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Del(ctx, tileKeysFor(key, 0, int64(len(msgs)))...).Err(); err != nil {
		t.Fatal(err)
	}
	if err := WriteTiles(ctx, c, key, r, int64(len(msgs))); err != nil {
		t.Fatal(err)
	}
}
