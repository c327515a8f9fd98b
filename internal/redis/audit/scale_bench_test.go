//go:build scale

package audit

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// TestAuditScale (make bench-scale) grows one cell's log to each size of
// LIVC_SCALE_SIZES (default 10^4, 10^6 and 2×10^7 entries; tree only,
// bulkTree) on a redis-server of its own, then appends through the real
// path, batched, from 32 goroutines, in rounds taken in turn across the
// sizes, and reports the best round's throughput (the machine is shared:
// the best round is the one least slowed by others), the Redis memory, and
// the size of an inclusion proof and of a consistency proof at each size.
// It fails if the throughput of a size is more than 20% below the best.
func TestAuditScale(t *testing.T) {
	sizes := scaleSizes(t)
	c := startRedisServer(t, "")
	ctx := context.Background()
	w := &redisWork{}
	logs := make([]*Log, len(sizes))
	cells := make([]string, len(sizes))
	next := make([]int64, len(sizes))
	for i, n := range sizes {
		cells[i] = fmt.Sprintf("scale-%d", i)
		key, _ := StreamKey(cells[i])
		start := time.Now()
		bulkTree(t, c, key, n)
		t.Logf("bulk tree of %d entries written in %v", n, time.Since(start).Round(time.Millisecond))
		logs[i] = signedLog(t, c, 0)
		next[i] = n
		next[i] += warm(t, logs[i], w, cells[i], n)
	}
	const k, rounds = 10_000, 9
	rates := make([][]float64, len(sizes))
	for range rounds {
		for i := range sizes {
			start := time.Now()
			appendRun(t, logs[i], w, cells[i], next[i], k, 32)
			rates[i] = append(rates[i], k/time.Since(start).Seconds())
			next[i] += k
		}
	}
	mem := c.InfoMap(ctx, "memory").Item("Memory", "used_memory_human")
	best := 0.0
	top := make([]float64, len(sizes))
	for i := range sizes {
		slices.Sort(rates[i])
		top[i] = rates[i][rounds-1]
		best = max(best, top[i])
	}
	for i, n := range sizes {
		key, _ := StreamKey(cells[i])
		r := logs[i].reader(ctx, key)
		incl, err := tlog.ProveRecord(next[i], next[i]/2, r)
		if err != nil {
			t.Fatal(err)
		}
		cons, err := tlog.ProveTree(next[i], next[i]/2+1, r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("size %d: %.0f appends/s (best of %d rounds of %d; all %.0f), inclusion proof %d hashes, consistency proof %d hashes",
			n, top[i], rounds, k, rates[i], len(incl), len(cons))
		if top[i] < 0.8*best {
			t.Errorf("size %d: %.0f appends/s, more than 20%% below the best %.0f", n, top[i], best)
		}
	}
	t.Logf("Redis used memory: %s", mem)
}

// scaleSizes is LIVC_SCALE_SIZES (comma-separated), default 10^4, 10^6 and
// 2×10^7.
func scaleSizes(t *testing.T) []int64 {
	sizes := []int64{10_000, 1_000_000, 20_000_000}
	if v := os.Getenv("LIVC_SCALE_SIZES"); v != "" {
		sizes = nil
		for _, f := range splitComma(v) {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	return sizes
}

// warm appends a few entries so the log's batcher has its hashes cached,
// and returns how many.
func warm(t *testing.T, l *Log, w *redisWork, cell string, n int64) int64 {
	appendRun(t, l, w, cell, n, 256, 8)
	return 256
}

func splitComma(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ',' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}
