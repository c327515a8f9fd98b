package audit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// createPlan is the shape of a dossier creation: the id must be unused, then
// the document and its index entry under a fresh sequence number.
func createPlan(cell, id string) *plan.Plan {
	p := "livc:{livc:" + cell + "}:"
	write := &plan.Plan{Livc: cell}
	write.Check(plan.Check{Kind: plan.KindAbsent, Key: p + "case:" + id, OnFail: plan.Conflict, Detail: "case already exists"})
	write.Do("SET", p+"case:"+id, `{"id":"`+id+`"}`)
	seq := write.Do("INCR", p+"cases:seq")
	write.DoWithRef(seq, "ZADD", p+"cases", id)
	return write
}

// bareRecordPlan is recordPlan (plancheck_test.go) without its check and
// its count, and with the record's ids list of person idsOf, which may be
// another person than recordsOf: the second op then meets a key the first
// did not write.
func bareRecordPlan(cell, recordsOf, idsOf string) *plan.Plan {
	p := "livc:{livc:" + cell + "}:subject:"
	write := &plan.Plan{Livc: cell}
	write.Do("HSET", p+recordsOf+":records", "sig_1", "sealed")
	write.Do("RPUSH", p+idsOf+":record-ids", "sig_1")
	return write
}

// verifier returns a Log that can verify, on c.
func verifyingLog(t *testing.T, c redis.UniversalClient) *Log {
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return NewWith(c, Conf{Signer: s, Verifier: v})
}

// TestCommitOneBatch runs batches whose entries carry writes, one of which
// cannot be done, in one script run each, and checks that exactly the other
// entries and their writes are stored, the failing one neither, and that the
// log still verifies.
func TestCommitOneBatch(t *testing.T) {
	type item struct {
		id   string
		plan func(cell string) *plan.Plan // nil: an entry without a write
	}
	cases := []struct {
		name  string
		setup func(ctx context.Context, c redis.UniversalClient, cell string)
		items []item
		// fail is the item that must fail, and with which kind.
		fail     int
		kind     broker.Kind
		stale    bool
		absentOf []string // keys of the failing item that must not exist
	}{
		{
			name: "duplicate case id in the batch",
			items: []item{
				{"a", func(cell string) *plan.Plan { return createPlan(cell, "x") }},
				{"b", func(cell string) *plan.Plan { return createPlan(cell, "x") }},
				{"c", func(cell string) *plan.Plan { return createPlan(cell, "y") }},
				{"d", nil},
			},
			fail: 1, kind: broker.KindConflict,
		},
		{
			name: "duplicate of a case stored before",
			setup: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.Set(ctx, "livc:{livc:"+cell+"}:case:x", "{}", 0)
			},
			items: []item{
				{"a", func(cell string) *plan.Plan { return createPlan(cell, "y") }},
				{"b", func(cell string) *plan.Plan { return createPlan(cell, "x") }},
				{"c", func(cell string) *plan.Plan { return createPlan(cell, "z") }},
			},
			fail: 1, kind: broker.KindConflict,
		},
		{
			name: "stale data key",
			setup: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.Set(ctx, "livc:{livc:"+cell+"}:subject:s_a:datakey", "key-2", 0)
			},
			items: []item{
				{"a", func(cell string) *plan.Plan { return createPlan(cell, "y") }},
				{"b", func(cell string) *plan.Plan {
					p := "livc:{livc:" + cell + "}:subject:s_a:"
					write := &plan.Plan{Livc: cell}
					write.Check(plan.Check{Kind: plan.KindEqual, Key: p + "datakey", Values: []string{"key-1"}})
					write.Do("HSET", p+"records", "sig_1", "sealed")
					write.Do("RPUSH", p+"record-ids", "sig_1")
					return write
				}},
			},
			fail: 1, kind: broker.KindConflict, stale: true,
			absentOf: []string{"subject:s_a:records", "subject:s_a:record-ids"},
		},
		{
			name: "key of the wrong type for the second op",
			setup: func(ctx context.Context, c redis.UniversalClient, cell string) {
				c.Set(ctx, "livc:{livc:"+cell+"}:subject:s_a:record-ids", "not a list", 0)
			},
			items: []item{
				{"a", func(cell string) *plan.Plan { return bareRecordPlan(cell, "s_a", "s_a") }},
				{"b", func(cell string) *plan.Plan { return createPlan(cell, "y") }},
			},
			fail: 0, kind: broker.KindInternal,
			absentOf: []string{"subject:s_a:records"},
		},
		{
			// plan_check reads a key's type once per plan: the entry
			// after must see the hash the entry before made, not the
			// type the entry before read.
			name: "key made another type by the entry before in the batch",
			items: []item{
				{"a", func(cell string) *plan.Plan {
					write := &plan.Plan{Livc: cell}
					write.Do("HSET", "livc:{livc:"+cell+"}:subject:s_a:record-ids", "f", "v")
					return write
				}},
				{"b", func(cell string) *plan.Plan { return bareRecordPlan(cell, "s_b", "s_a") }},
				{"c", func(cell string) *plan.Plan { return createPlan(cell, "y") }},
			},
			fail: 1, kind: broker.KindInternal,
			absentOf: []string{"subject:s_b:records"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, cell := context.Background(), redistest.NewCell(t, c)
				if tc.setup != nil {
					tc.setup(ctx, c, cell)
				}
				l := verifyingLog(t, c)
				key, _ := StreamKey(cell)
				st := &stream{key: key, cache: map[int64]tlog.Hash{}}
				var batch []*pending
				for i, it := range tc.items {
					e := entry(cell, i)
					e.ID, e.Action = "aud_"+it.id, "case.create"
					p := mustPending(t, ctx, e, nil)
					if it.plan != nil {
						p.plan = it.plan(cell)
					}
					batch = append(batch, p)
				}
				l.commit(st, batch) // one batch, as the batcher would run it
				var want []string
				for i, p := range batch {
					err := <-p.done
					if i != tc.fail {
						if err != nil {
							t.Fatalf("entry %d: %v", i, err)
						}
						want = append(want, p.e.ID)
						if p.e.Index != int64(len(want)-1) {
							t.Errorf("entry %d has index %d, want %d", i, p.e.Index, len(want)-1)
						}
						continue
					}
					if err == nil || broker.KindOf(err) != tc.kind || errors.Is(err, broker.ErrStale) != tc.stale {
						t.Fatalf("failing entry: %v (kind %v)", err, broker.KindOf(err))
					}
				}
				msgs := streamEntries(t, c, cell)
				var got []string
				for _, m := range msgs {
					e, err := decode(m)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, e.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("log holds %v, want %v", got, want)
				}
				if ids := c.HLen(ctx, key+":ids").Val(); ids != int64(len(want)) {
					t.Errorf("%d ids for %d entries", ids, len(want))
				}
				// The writes of the others are there, once.
				p := "livc:{livc:" + cell + "}:"
				for i, it := range tc.items {
					if i == tc.fail || it.plan == nil {
						continue
					}
					for _, o := range it.plan(cell).Ops {
						if c.Exists(ctx, o.Key).Val() != 1 {
							t.Errorf("entry %d: %s missing", i, o.Key)
						}
					}
				}
				for _, k := range tc.absentOf {
					if c.Exists(ctx, p+k).Val() != 0 && c.Type(ctx, p+k).Val() != "string" {
						t.Errorf("the failing entry's %s was written", k)
					}
				}
				if tc.fail == 1 && tc.name == "duplicate case id in the batch" {
					if n := c.ZCard(ctx, p+"cases").Val(); n != 2 {
						t.Errorf("%d dossiers indexed, want 2", n)
					}
				}
				rep, err := l.Verify(ctx, cell, 0)
				if err != nil || !rep.OK || rep.Size != int64(len(want)) {
					t.Fatalf("verify: %+v %v", rep, err)
				}
			})
		})
	}
}

// TestCommitThroughBatcher commits concurrently through the public API: of
// many creations of the same dossier id exactly one is stored, with exactly
// one entry; every other creation gets a conflict and leaves no entry.
func TestCommitThroughBatcher(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := verifyingLog(t, c)
		const n = 40
		errs := make(chan error, n)
		for i := range n {
			go func() {
				e := entry(cell, i)
				e.Action = "case.create"
				errs <- l.Commit(ctx, e, createPlan(cell, fmt.Sprint("c", i%4)))
			}()
		}
		ok, conflicts := 0, 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case broker.KindOf(err) == broker.KindConflict:
				conflicts++
			default:
				t.Fatal(err)
			}
		}
		if ok != 4 || conflicts != n-4 {
			t.Fatalf("%d stored, %d conflicts", ok, conflicts)
		}
		if got := len(streamEntries(t, c, cell)); got != 4 {
			t.Fatalf("%d entries for 4 writes", got)
		}
		if seq := c.Get(ctx, "livc:{livc:"+cell+"}:cases:seq").Val(); seq != "4" {
			t.Fatalf("sequence %s after 4 creations", seq)
		}
		rep, err := l.Verify(ctx, cell, 0)
		if err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// TestCommitRefusesForeignWrites: a write of another cell, or with a key
// outside the cell's slot, is refused before anything is queued.
func TestCommitRefusesForeignWrites(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := New(c)
		other := createPlan("elsewhere", "x")
		if err := l.Commit(ctx, entry(cell, 0), other); err == nil {
			t.Fatal("a write of another cell was committed")
		}
		outside := createPlan(cell, "x")
		outside.Do("SET", "livc:{livc:elsewhere}:case:x", "{}")
		if err := l.Commit(ctx, entry(cell, 0), outside); err == nil {
			t.Fatal("a write outside the cell's slot was committed")
		}
		if got := len(streamEntries(t, c, cell)); got != 0 {
			t.Fatalf("%d entries after refused writes", got)
		}
	})
}
