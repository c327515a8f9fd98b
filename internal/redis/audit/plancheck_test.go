package audit

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// recordPlan is the shape of a stored signal: the record, its place in the
// person's order and the month's count.
func recordPlan(cell, ref, id string) *plan.Plan {
	p := "livc:{livc:" + cell + "}:"
	sp := p + "subject:" + ref + ":"
	write := &plan.Plan{Livc: cell}
	write.Check(plan.Check{Kind: plan.KindNoField, Key: sp + "records", Field: id, OnFail: plan.Conflict})
	write.Do("HSET", sp+"records", id, "sealed")
	write.Do("RPUSH", sp+"record-ids", id)
	write.Do("HINCRBY", p+"stats:signals", "2026-11", "1")
	return write
}

// countPlan is the shape of a dossier's state change: the document and the
// counts moved from one state to another.
func countPlan(cell, id string) *plan.Plan {
	p := "livc:{livc:" + cell + "}:"
	write := &plan.Plan{Livc: cell}
	write.Do("SET", p+"case:"+id, `{"id":"`+id+`","state":"closed"}`)
	write.Do("HINCRBY", p+"stats:cases", "state:open", "-1")
	write.Do("HINCRBY", p+"stats:cases", "state:closed", "1")
	return write
}

// TestCommitValueThatBreaksAnOp: a counter the write increments that holds
// something Redis cannot increment (a corrupted cases:seq, a corrupted count
// field, a counter at its limit) fails the entry whose write needs it, and
// that entry only, before any of its writes: the entries around it in the
// same script run and their writes land, the log verifies, and it goes on
// taking entries (with and without writes) afterwards.
func TestCommitValueThatBreaksAnOp(t *testing.T) {
	seqKey := func(cell string) string { return "livc:{livc:" + cell + "}:cases:seq" }
	statsKey := func(cell string) string { return "livc:{livc:" + cell + "}:stats:cases" }
	cases := []struct {
		name    string
		corrupt func(ctx context.Context, c redis.UniversalClient, cell string)
		// bad is the write of the entry that must fail.
		bad func(cell string) *plan.Plan
		// untouched are keys (under the cell's prefix) the bad write must not create.
		untouched []string
	}{
		{
			name:      "cases:seq not a number",
			corrupt:   func(ctx context.Context, c redis.UniversalClient, cell string) { c.Set(ctx, seqKey(cell), "seven", 0) },
			bad:       func(cell string) *plan.Plan { return createPlan(cell, "x") },
			untouched: []string{"case:x", "cases"},
		},
		{
			name:      "cases:seq a number Lua reads but Redis does not",
			corrupt:   func(ctx context.Context, c redis.UniversalClient, cell string) { c.Set(ctx, seqKey(cell), "1e3", 0) },
			bad:       func(cell string) *plan.Plan { return createPlan(cell, "x") },
			untouched: []string{"case:x", "cases"},
		},
		{
			name: "cases:seq at the largest integer",
			corrupt: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.Set(ctx, seqKey(cell), "9223372036854775807", 0)
			},
			bad:       func(cell string) *plan.Plan { return createPlan(cell, "x") },
			untouched: []string{"case:x", "cases"},
		},
		{
			name: "count field not a number",
			corrupt: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.HSet(ctx, statsKey(cell), "state:closed", "many")
			},
			bad:       func(cell string) *plan.Plan { return countPlan(cell, "y") },
			untouched: []string{"case:y"},
		},
		{
			name: "count field a fraction",
			corrupt: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.HSet(ctx, statsKey(cell), "state:open", "1.5")
			},
			bad:       func(cell string) *plan.Plan { return countPlan(cell, "y") },
			untouched: []string{"case:y"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				tc.corrupt(ctx, c, cell)
				before := dumpKey(ctx, c, seqKey(cell)) + dumpKey(ctx, c, statsKey(cell))
				l := verifyingLog(t, c)
				key, _ := StreamKey(cell)
				st := &stream{key: key, cache: map[int64]tlog.Hash{}}
				plans := []*plan.Plan{nil, recordPlan(cell, "s_a", "sig_1"), tc.bad(cell), recordPlan(cell, "s_b", "sig_2"), nil}
				const bad = 2
				var batch []*pending
				for i, write := range plans {
					e := entry(cell, i)
					p := mustPending(t, ctx, e, write)
					batch = append(batch, p)
				}
				l.commit(st, batch) // one batch, as the batcher would run it
				var want []string
				for i, p := range batch {
					err := <-p.done
					if i == bad {
						if err == nil || broker.KindOf(err) != broker.KindInternal {
							t.Fatalf("the bad write's entry: %v (kind %v), want an internal error", err, broker.KindOf(err))
						}
						if p.e.Index != 0 || p.e.LeafHash != "" {
							t.Errorf("the failed entry kept index %d", p.e.Index)
						}
						continue
					}
					if err != nil {
						t.Fatalf("entry %d: %v", i, err)
					}
					want = append(want, p.e.ID)
				}
				if got := entryIDs(t, c, cell); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("log holds %v, want %v", got, want)
				}
				p := "livc:{livc:" + cell + "}:"
				for _, ref := range []string{"s_a", "s_b"} {
					if n := c.LLen(ctx, p+"subject:"+ref+":record-ids").Val(); n != 1 {
						t.Errorf("%s: %d records, want 1", ref, n)
					}
				}
				if n := c.HGet(ctx, p+"stats:signals", "2026-11").Val(); n != "2" {
					t.Errorf("signal count %q, want 2", n)
				}
				for _, k := range tc.untouched {
					if c.Exists(ctx, p+k).Val() != 0 {
						t.Errorf("the failed write created %s", k)
					}
				}
				if after := dumpKey(ctx, c, seqKey(cell)) + dumpKey(ctx, c, statsKey(cell)); after != before {
					t.Errorf("the failed write changed its counters: %s, was %s", after, before)
				}
				// The log is not stuck: it takes more entries, and verifies.
				if err := l.Append(ctx, entry(cell, 10)); err != nil {
					t.Fatalf("append after the failure: %v", err)
				}
				if err := l.Commit(ctx, entry(cell, 11), recordPlan(cell, "s_c", "sig_3")); err != nil {
					t.Fatalf("commit after the failure: %v", err)
				}
				want = append(want, "aud_10", "aud_11")
				if got := entryIDs(t, c, cell); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("log holds %v, want %v", got, want)
				}
				rep, err := l.Verify(ctx, cell, 0)
				if err != nil || !rep.OK || rep.Size != int64(len(want)) {
					t.Fatalf("verify: %+v %v", rep, err)
				}
			})
		})
	}
}

// entryIDs returns the ids of the log's entries, in order.
func entryIDs(t *testing.T, c redis.UniversalClient, cell string) []string {
	t.Helper()
	var ids []string
	for _, m := range streamEntries(t, c, cell) {
		e, err := decode(m)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// dumpKey renders a string or hash key's value, for comparing before and after.
func dumpKey(ctx context.Context, c redis.UniversalClient, key string) string {
	if v, err := c.Get(ctx, key).Result(); err == nil {
		return key + "=" + v + ";"
	}
	return fmt.Sprint(key, "=", c.HGetAll(ctx, key).Val(), ";")
}

// TestCommitStreamOutOfStep: a stream holding an entry with a higher id
// than the head counts (written around the broker) refuses the script's
// XADD; the script adds the entry before applying its write, so neither the
// write nor the entry is stored, and the append fails.
func TestCommitStreamOutOfStep(t *testing.T) {
	tests := []struct {
		name string
		plan func(cell string) *plan.Plan
	}{
		{"an entry with a write", func(cell string) *plan.Plan { return recordPlan(cell, "s_a", "sig_1") }},
		{"an entry without one", func(string) *plan.Plan { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				key, _ := StreamKey(cell)
				must := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatal(err)
					}
				}
				must(c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "0-5", Values: []string{"entry", "{}", "leaf", "x"}}).Err())
				l := New(c)
				var err error
				if write := tc.plan(cell); write != nil {
					err = l.Commit(ctx, entry(cell, 0), write)
				} else {
					err = l.Append(ctx, entry(cell, 0))
				}
				if err == nil {
					t.Fatal("an append onto a stream out of step succeeded")
				}
				p := "livc:{livc:" + cell + "}:"
				for _, k := range []string{p + "subject:s_a:records", p + "stats:signals", key + ":head", key + ":tile:0:0", key + ":ids"} {
					if c.Exists(ctx, k).Val() != 0 {
						t.Errorf("%s was written", k)
					}
				}
				if n := c.XLen(ctx, key).Val(); n != 1 {
					t.Errorf("the stream holds %d entries, want the 1 put there", n)
				}
			})
		})
	}
}
