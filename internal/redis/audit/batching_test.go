package audit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// scriptRuns counts the runs of one Lua script a client sends.
type scriptRuns struct {
	sha string
	n   atomic.Int64
}

func (h *scriptRuns) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *scriptRuns) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) > 1 && cmd.Name() == "evalsha" && args[1] == h.sha {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *scriptRuns) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestAppendsShareRoundTrips checks that concurrent appends are batched:
// 64 appenders at once need far fewer runs of the commit script than
// entries, while MaxBatch 1 (the control, which also shows the count is
// right) needs exactly one run per entry.
func TestAppendsShareRoundTrips(t *testing.T) {
	const appenders, each = 64, 10
	for _, tc := range []struct {
		name     string
		maxBatch int
		check    func(runs int64) bool
		want     string
	}{
		{"batched", 0, func(runs int64) bool { return runs >= 1 && runs <= appenders*each/2 }, "at most one run per two entries"},
		{"one per round trip", 1, func(runs int64) bool { return runs == appenders*each }, "one run per entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				l := NewWith(c, Conf{MaxBatch: tc.maxBatch})
				l.Append(ctx, entry(cell, 0)) // loads the script before counting
				runs := &scriptRuns{sha: batchScript.Hash()}
				c.AddHook(runs)
				var wg sync.WaitGroup
				for g := range appenders {
					wg.Go(func() {
						for i := range each {
							if err := l.Append(ctx, entry(cell, 1+g*each+i)); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if got := runs.n.Load(); !tc.check(got) {
					t.Fatalf("%d entries took %d runs of the commit script, want %s", appenders*each, got, tc.want)
				}
				t.Logf("%d entries in %d runs of the commit script", appenders*each, runs.n.Load())
			})
		})
	}
}
