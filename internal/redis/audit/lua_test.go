package audit

// Tests of the audit log's scripts (lua/batch.lua after the plan functions,
// push_checkpoint.lua, drop_checkpoints.lua) run directly, on their KEYS
// and ARGV, against real Redis and miniredis, each on a fresh cell's log:
// what they write, what they return, and what they refuse with nothing
// written.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

func TestPushCheckpointLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, key := context.Background(), "livc:{livc:"+redistest.NewCell(t, c)+"}:audit"
		keys := []string{key + ":head", key + ":checkpoints"}
		for _, step := range []struct {
			size int
			want int64
		}{{5, 1}, {5, 0}, {3, 0}, {7, 2}} {
			got, err := pushScript.Run(ctx, c, keys, step.size, "note").Int64()
			if err != nil || got != step.want {
				t.Fatalf("push of size %d: %d, %v; want %d", step.size, got, err, step.want)
			}
		}
		if cp := c.HGet(ctx, keys[0], "cp").Val(); cp != "7" {
			t.Errorf("head cp %s, want 7", cp)
		}
		if n := c.LLen(ctx, keys[1]).Val(); n != 2 {
			t.Errorf("%d checkpoints kept, want 2 (the refused pushes add none)", n)
		}
	})
}

func TestDropCheckpointsLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, key := context.Background(), "livc:{livc:"+redistest.NewCell(t, c)+"}:audit:checkpoints"
		c.RPush(ctx, key, "a", "b", "a", "c")
		got, err := dropScript.Run(ctx, c, []string{key}, "a", "gone").Int64()
		if err != nil || got != 1 {
			t.Fatalf("drop: %d, %v; want 1 (a once, a note not there none)", got, err)
		}
		if l := c.LRange(ctx, key, 0, -1).Val(); !slices.Equal(l, []string{"b", "a", "c"}) {
			t.Fatalf("list %v", l)
		}
	})
}

// batchCall is one direct run of batchScript on the log of key.
type batchCall struct {
	key     string
	n       int64    // the expected index
	entries []string // one id each; doc and leaf derive from it
	hashes  int      // the tile hashes each entry brings; 0: one
	plans   []*plan.Plan
}

// run runs the batch script and returns its reply or error.
func (b batchCall) run(ctx context.Context, c redis.UniversalClient) ([]int64, error) {
	tiles := tileKeysFor(b.key, b.n, b.n+int64(len(b.entries)))
	keys := append(auditKeys(b.key), tiles...)
	index := func(k string) int {
		if i := slices.Index(keys, k); i >= 0 {
			return i + 1
		}
		keys = append(keys, k)
		return len(keys)
	}
	args := []any{b.n, "owner", len(b.entries), len(tiles)}
	for i, id := range b.entries {
		args = append(args, "doc-"+id, "leaf-"+id, id, strings.Repeat("h", 32*max(b.hashes, 1)))
		if i >= len(b.plans) || b.plans[i] == nil {
			args = append(args, 0)
			continue
		}
		args = append(args, b.plans[i].EncodedLen())
		args = b.plans[i].Encode(args, index)
	}
	return batchScript.Run(ctx, c, keys, args...).Int64Slice()
}

func TestBatchLua(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(ctx context.Context, c redis.UniversalClient, key, data string)
		call    func(key, data string) batchCall
		want    []int64
		wantErr string
		size    int64 // the head's n after
	}{
		{"appends the batch", nil, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1", "e2"}}
		}, []int64{1, 0, 2, 0}, "", 2},
		{"applies each entry's write", nil, func(key, data string) batchCall {
			p := &plan.Plan{Livc: cellOf(data)}
			p.Check(plan.Check{Kind: plan.KindAbsent, Key: data})
			p.Do("SET", data, "x")
			return batchCall{key: key, entries: []string{"e1"}, plans: []*plan.Plan{p}}
		}, []int64{1, 0, 1, 0}, "", 1},
		{"a failed check stops the batch there", func(ctx context.Context, c redis.UniversalClient, _, data string) {
			c.Set(ctx, data, "taken", 0)
		}, func(key, data string) batchCall {
			p := &plan.Plan{Livc: cellOf(data)}
			p.Check(plan.Check{Kind: plan.KindAbsent, Key: data})
			p.Do("SET", data, "x")
			return batchCall{key: key, entries: []string{"e1", "e2", "e3"}, plans: []*plan.Plan{nil, p}}
		}, []int64{2, 0, 1, 1}, "", 1},
		{"a write on a key of the wrong type is refused", func(ctx context.Context, c redis.UniversalClient, _, data string) {
			c.Set(ctx, data, "a string", 0)
		}, func(key, data string) batchCall {
			p := &plan.Plan{Livc: cellOf(data)}
			p.Do("SADD", data, "x")
			return batchCall{key: key, entries: []string{"e1"}, plans: []*plan.Plan{p}}
		}, []int64{2, 0, 0, -1}, "", 0},
		{"another index: a conflict, the next turn claimed", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.HSet(ctx, key+":head", "n", 3)
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, []int64{0, 3, 0, 0}, "", 3},
		{"a turn another process holds: a conflict", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.HSet(ctx, key+":head", "turn", "0:other", "until", 1<<50)
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, []int64{0, 0, 0, 0}, "", 0},
		{"a replay of a written batch writes nothing", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			if _, err := (batchCall{key: key, entries: []string{"e1", "e2"}}).run(ctx, c); err != nil {
				panic(err)
			}
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1", "e2"}}
		}, []int64{1, 0, 2, 0}, "", 2},
		{"a stream that refuses the id", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "0-9", Values: []string{"entry", "x"}})
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, []int64{3, 0, 0, 0}, "", 0},
		{"log keys of the wrong type", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.Set(ctx, key+":head", "x", 0)
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, nil, "wrong type", -1},
		{"a tile out of step with the head", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.Set(ctx, key+":tile:0:0", "short", 0)
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, nil, "out of step", 0},
		{"an entry with more tile hashes than its index gives", nil, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}, hashes: 2}
		}, nil, "out of step with the entries", 0},
		{"a tree not yet moved into tiles", func(ctx context.Context, c redis.UniversalClient, key, _ string) {
			c.Set(ctx, key+":tree", "old", 0)
		}, func(key, _ string) batchCall {
			return batchCall{key: key, entries: []string{"e1"}}
		}, nil, "not yet in tiles", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				key, data := "livc:{livc:"+cell+"}:audit", "livc:{livc:"+cell+"}:data"
				if tc.setup != nil {
					tc.setup(ctx, c, key, data)
				}
				before := [2]int64{c.XLen(ctx, key).Val(), c.HLen(ctx, key+":ids").Val()}
				got, err := tc.call(key, data).run(ctx, c)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("error %v, want %q", err, tc.wantErr)
					}
				} else if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("reply %v, %v; want %v", got, err, tc.want)
				}
				checkBatchState(t, ctx, c, key, before, tc.size)
				if got != nil && got[0] == statusConflict {
					// The loser claims the next turn unless another holds it.
					want := "3:owner"
					if strings.Contains(tc.name, "holds") {
						want = "0:other"
					}
					if turn := c.HGet(ctx, key+":head", "turn").Val(); turn != want {
						t.Errorf("turn %q, want %q", turn, want)
					}
				}
			})
		})
	}
}

// checkBatchState checks that the log holds size entries (size < 0: the head
// is not the script's to read) and that the stream, the ids and the tree grew
// by what the head says was written. before holds the stream's length and
// the count of ids before the run.
func checkBatchState(t *testing.T, ctx context.Context, c redis.UniversalClient, key string, before [2]int64, size int64) {
	t.Helper()
	written := c.XLen(ctx, key).Val() - before[0]
	if ids := c.HLen(ctx, key+":ids").Val() - before[1]; ids != written {
		t.Errorf("%d ids stored for %d entries", ids, written)
	}
	if size < 0 {
		if written != 0 {
			t.Errorf("a refused batch added %d entries", written)
		}
		return
	}
	n, err := c.HGet(ctx, key+":head", "n").Int64()
	if errors.Is(err, redis.Nil) {
		n, err = 0, nil
	}
	if err != nil || n != size {
		t.Fatalf("head n %d, %v; want %d", n, err, size)
	}
	if written > 0 && c.XLen(ctx, key).Val() != size {
		t.Errorf("stream holds %d entries, head says %d", c.XLen(ctx, key).Val(), size)
	}
	if tl := c.StrLen(ctx, key+":tile:0:0").Val(); written > 0 && tl != 32*size {
		t.Errorf("tile 0/0 of %d bytes after %d entries", tl, size)
	}
}

// cellOf returns the cell of a key livc:{livc:<cell>}:….
func cellOf(key string) string {
	_, rest, _ := strings.Cut(key, "{livc:")
	cell, _, _ := strings.Cut(rest, "}")
	return cell
}
