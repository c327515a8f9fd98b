package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// bulkTree writes the tree of a log of n entries straight into its tiles
// and head, pipelined, without the entries (the stream stays empty): the
// tree of entry i is that of the smallest entry the format allows, {"index":i}.
// The real append path then goes on from n.
func bulkTree(t testing.TB, c redis.UniversalClient, key string, n int64) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	flush := func(force bool) {
		if pipe.Len() >= 256 || (force && pipe.Len() > 0) {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// level holds the hashes of one tile level not yet written, and the
	// number of the tile they begin; up is the next level's.
	var level []tlog.Hash
	for l, count := 0, n; count > 0; l, count = l+1, count>>tileHeight {
		var up []tlog.Hash
		for tn := int64(0); tn*tileWidth < count; tn++ {
			w := min(count-tn*tileWidth, tileWidth)
			data := make([]byte, 0, w*tlog.HashSize)
			hs := make([]tlog.Hash, w)
			for i := range w {
				if l == 0 {
					hs[i] = tlog.RecordHash([]byte(fmt.Sprintf(`{"index":%d}`, tn*tileWidth+i)))
				} else {
					hs[i] = level[tn*tileWidth+i]
				}
				data = append(data, hs[i][:]...)
			}
			pipe.Set(ctx, tileKey(key, l, tn), data, 0)
			flush(false)
			if w == tileWidth {
				up = append(up, subtreeHash(hs))
			}
		}
		level = up
	}
	pipe.HSet(ctx, key+":head", "n", n, "leaf", "bulk")
	flush(true)
}

// subtreeHash is the hash of the complete subtree over hs (a power of two).
func subtreeHash(hs []tlog.Hash) tlog.Hash {
	for len(hs) > 1 {
		next := make([]tlog.Hash, len(hs)/2)
		for i := range next {
			next[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs = next
	}
	return hs[0]
}

// redisWork counts the commands sent and the bytes of their arguments.
type redisWork struct{ cmds, bytes atomic.Int64 }

func (w *redisWork) add(cmd redis.Cmder) {
	w.cmds.Add(1)
	for _, a := range cmd.Args() {
		switch v := a.(type) {
		case string:
			w.bytes.Add(int64(len(v)))
		case []byte:
			w.bytes.Add(int64(len(v)))
		default:
			w.bytes.Add(int64(len(fmt.Sprint(v))))
		}
	}
}
func (w *redisWork) DialHook(next redis.DialHook) redis.DialHook { return next }
func (w *redisWork) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { w.add(cmd); return next(ctx, cmd) }
}
func (w *redisWork) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			w.add(c)
		}
		return next(ctx, cmds)
	}
}

// appendRun appends k entries to the cell's log (from size n) from g
// goroutines through l and returns the Redis work it took.
func appendRun(t testing.TB, l *Log, w *redisWork, cell string, n int64, k, g int) (cmds, bytes int64) {
	t.Helper()
	c0, b0 := w.cmds.Load(), w.bytes.Load()
	var wg sync.WaitGroup
	var failed atomic.Value
	for j := range g {
		wg.Go(func() {
			for i := j; i < k; i += g {
				if err := l.Append(context.Background(), entry(cell, int(n)+i)); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	return w.cmds.Load() - c0, w.bytes.Load() - b0
}

// TestAppendCostFlat grows one log to 10^4 and another to 10^6 entries
// (tree only, bulkTree), appends 1,000 entries to each through the real
// path, one at a time, and checks that an append sends as many commands and
// at most 20% more bytes to Redis at 10^6 as at 10^4, that no tile it wrote
// holds more than 256 hashes, and that both trees verify against a signed
// checkpoint with proofs of logarithmic size. Redis work is counted, not
// timed: timing on a shared machine would make the test flaky.
func TestAppendCostFlat(t *testing.T) {
	c := redistest.OpenReal(t)
	w := &redisWork{}
	c.AddHook(w)
	type cost struct{ cmds, bytes float64 }
	costs := map[int64]cost{}
	const k = 1000
	for _, n := range []int64{10_000, 1_000_000} {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		key, _ := StreamKey(cell)
		bulkTree(t, c, key, n)
		l := signedLog(t, c, 0)
		l.conf.MaxBatch = 1
		if n == 10_000 {
			checkBulkTree(t, l.reader(ctx, key), n)
		}
		appendRun(t, l, w, cell, n, 16, 1) // the batcher's cache warmed
		cmds, bytes := appendRun(t, l, w, cell, n+16, k, 1)
		costs[n] = cost{float64(cmds) / k, float64(bytes) / k}
		t.Logf("%d entries: %.2f commands, %.0f bytes sent per append", n, costs[n].cmds, costs[n].bytes)
		for _, tk := range tileKeysFor(key, n, n+16+k) {
			if sl := c.StrLen(ctx, tk).Val(); sl > tileWidth*tlog.HashSize {
				t.Fatalf("tile %s holds %d bytes", tk, sl)
			}
		}
		size := n + 16 + k
		note, err := l.Checkpoint(ctx, cell, true)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(note), fmt.Sprintf("\n%d\n", size)) {
			t.Fatalf("checkpoint of another size:\n%s", note)
		}
		p, err := tlog.ProveRecord(size, size/3, l.reader(ctx, key))
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > 2*bitLen(size) {
			t.Fatalf("a proof of %d hashes in a tree of %d", len(p), size)
		}
	}
	small, large := costs[10_000], costs[1_000_000]
	if large.cmds > small.cmds*1.2 || large.bytes > small.bytes*1.2 {
		t.Fatalf("an append at 10^6 entries costs %.2f commands, %.0f bytes; at 10^4 %.2f, %.0f: more than 20%% more",
			large.cmds, large.bytes, small.cmds, small.bytes)
	}
}

// bitLen is the number of bits of n.
func bitLen(n int64) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

// checkBulkTree checks that bulkTree wrote the tree tlog computes itself
// for the same entries (tlog.StoredHashes, one record after the other).
func checkBulkTree(t *testing.T, tiles tlog.HashReader, n int64) {
	t.Helper()
	var hashes []tlog.Hash
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i := range n {
		hs, err := tlog.StoredHashes(i, []byte(fmt.Sprintf(`{"index":%d}`, i)), mem)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	want, err := tlog.TreeHash(n, mem)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlog.TreeHash(n, tiles); err != nil || got != want {
		t.Fatalf("the bulk tree's hash %x, %v; tlog's %x", got, err, want)
	}
}
