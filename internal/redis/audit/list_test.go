package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// fill appends n varied entries and returns them as appended.
func fill(t *testing.T, l *Log, cell string, n int) []broker.AuditEntry {
	t.Helper()
	actors := []string{"police", "clb", "ocmw"}
	actions := []string{"card.read", "signal.submit", "case.transition", "audit.read"}
	decisions := []string{broker.DecisionAllow, broker.DecisionDeny, broker.DecisionError}
	var all []broker.AuditEntry
	for i := range n {
		e := &broker.AuditEntry{
			ID: fmt.Sprintf("aud_%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Livc: cell,
			Actor: actors[i%3], Sub: fmt.Sprintf("user%d", i%4), Action: actions[i%4],
			Purpose: "case_conference", SubjectRef: fmt.Sprintf("s_%d", i%5), CaseID: fmt.Sprintf("case_%d", i%2),
			Decision: decisions[i%3],
		}
		if err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		all = append(all, *e)
	}
	return all
}

func indexes(es []broker.AuditEntry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Index)
	}
	return out
}

func TestListFilters(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell, l := context.Background(), redistest.NewCell(t, c), New(c)
		all := fill(t, l, cell, 40)
		tests := []struct {
			name string
			q    broker.AuditQuery
			keep func(e broker.AuditEntry) bool
		}{
			{"none", broker.AuditQuery{}, func(broker.AuditEntry) bool { return true }},
			{"actor", broker.AuditQuery{Actor: "clb"}, func(e broker.AuditEntry) bool { return e.Actor == "clb" }},
			{"sub", broker.AuditQuery{Sub: "user3"}, func(e broker.AuditEntry) bool { return e.Sub == "user3" }},
			{"subject_ref", broker.AuditQuery{SubjectRef: "s_2"}, func(e broker.AuditEntry) bool { return e.SubjectRef == "s_2" }},
			{"case_id", broker.AuditQuery{CaseID: "case_1"}, func(e broker.AuditEntry) bool { return e.CaseID == "case_1" }},
			{"action", broker.AuditQuery{Action: "signal.submit"}, func(e broker.AuditEntry) bool { return e.Action == "signal.submit" }},
			{"decision", broker.AuditQuery{Decision: broker.DecisionDeny}, func(e broker.AuditEntry) bool { return e.Decision == broker.DecisionDeny }},
			{"from", broker.AuditQuery{From: t0.Add(30 * time.Minute)}, func(e broker.AuditEntry) bool { return e.Index >= 30 }},
			{"to", broker.AuditQuery{To: t0.Add(5 * time.Minute)}, func(e broker.AuditEntry) bool { return e.Index < 5 }},
			{"from to other zone", broker.AuditQuery{From: t0.Add(10 * time.Minute).In(time.FixedZone("CET", 3600)), To: t0.Add(12 * time.Minute)},
				func(e broker.AuditEntry) bool { return e.Index == 10 || e.Index == 11 }},
			{"combined", broker.AuditQuery{Actor: "police", Decision: broker.DecisionAllow, CaseID: "case_1"},
				func(e broker.AuditEntry) bool {
					return e.Actor == "police" && e.Decision == broker.DecisionAllow && e.CaseID == "case_1"
				}},
			{"nothing", broker.AuditQuery{Actor: "nobody"}, func(broker.AuditEntry) bool { return false }},
		}
		for _, tt := range tests {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/desc=%v", tt.name, desc), func(t *testing.T) {
					want := []int64{}
					for _, e := range all {
						if tt.keep(e) {
							want = append(want, e.Index)
						}
					}
					if desc {
						slices.Reverse(want)
					}
					q := tt.q
					q.Livc, q.Descending = cell, desc
					got, next, err := l.List(ctx, q)
					if err != nil || next != "" {
						t.Fatalf("list: next %q err %v", next, err)
					}
					if !slices.Equal(indexes(got), want) {
						t.Fatalf("got %v, want %v", indexes(got), want)
					}
				})
			}
		}
		// Entries come back whole, leaf hash included.
		got, _, _ := l.List(ctx, broker.AuditQuery{Livc: cell, Limit: 1})
		if len(got) != 1 || got[0].LeafHash != all[0].LeafHash || got[0].Actor != all[0].Actor || !got[0].Time.Equal(all[0].Time) {
			t.Fatalf("first entry %+v, want %+v", got, all[0])
		}
	})
}

func TestListPaging(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell, l := context.Background(), redistest.NewCell(t, c), New(c)
		all := fill(t, l, cell, 57)
		// A small scan budget forces pages that stop on the budget, some with
		// no match at all, besides pages that stop on the limit.
		l.chunk, l.scanBudget = 4, 9
		for _, tt := range []struct {
			name  string
			q     broker.AuditQuery
			limit int
		}{
			{"all by 10", broker.AuditQuery{}, 10},
			{"all by 1", broker.AuditQuery{}, 1},
			{"all in one page", broker.AuditQuery{}, 1000},
			{"limit dividing the stream", broker.AuditQuery{}, 19},
			{"selective", broker.AuditQuery{Actor: "ocmw", Decision: broker.DecisionError}, 2},
			{"none match", broker.AuditQuery{Actor: "nobody"}, 5},
		} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/desc=%v", tt.name, desc), func(t *testing.T) {
					want := []int64{}
					for _, e := range all {
						if matches(tt.q, e) {
							want = append(want, e.Index)
						}
					}
					if desc {
						slices.Reverse(want)
					}
					q := tt.q
					q.Livc, q.Descending, q.Limit = cell, desc, tt.limit
					var got []int64
					for pages := 0; ; pages++ {
						if pages > 100 {
							t.Fatal("paging does not end")
						}
						es, next, err := l.List(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						if len(es) > tt.limit {
							t.Fatalf("page of %d over limit %d", len(es), tt.limit)
						}
						got = append(got, indexes(es)...)
						if next == "" {
							break
						}
						q.Cursor = next
					}
					if !slices.Equal(got, want) {
						t.Fatalf("paged %v, want %v", got, want)
					}
				})
			}
		}
	})
}

func TestListLimits(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell, l := context.Background(), redistest.NewCell(t, c), New(c)
		fill(t, l, cell, 1005)
		for _, tt := range []struct{ limit, want int }{{0, 100}, {-3, 100}, {7, 7}, {1000, 1000}, {5000, 1000}} {
			es, next, err := l.List(ctx, broker.AuditQuery{Livc: cell, Limit: tt.limit})
			if err != nil || len(es) != tt.want || next == "" {
				t.Errorf("limit %d: %d entries, next %q, %v", tt.limit, len(es), next, err)
			}
		}
		// An empty stream is one empty page.
		es, next, err := l.List(ctx, broker.AuditQuery{Livc: redistest.NewCell(t, c)})
		if err != nil || len(es) != 0 || next != "" || es == nil {
			t.Errorf("empty stream: %v %q %v", es, next, err)
		}
	})
}

func TestListBadCursor(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		l, cell := New(c), redistest.NewCell(t, c)
		for _, cur := range []string{"x", "a1.!!", encodeCursor("1-2-3"), encodeCursor("-"), "1700000000000-0", encodeCursor("+")} {
			_, _, err := l.List(context.Background(), broker.AuditQuery{Livc: cell, Cursor: cur})
			var be *broker.Error
			if !errors.As(err, &be) || be.Kind != broker.KindInvalid || be.Field != "cursor" {
				t.Errorf("cursor %q: %v, want a KindInvalid naming cursor", cur, err)
			}
			if cerr := l.CheckCursor(cur); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("cursor %q: CheckCursor %v, List %v", cur, cerr, err)
			}
		}
		if err := l.CheckCursor(encodeCursor("1700000000000-5")); err != nil {
			t.Errorf("a cursor of this package refused: %v", err)
		}
	})
}

func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{"", "a1.MTctMA", encodeCursor("1700000000000-5"), "a1.", "a1.////", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := decodeCursor(s)
		if err != nil {
			return
		}
		if id != "" && !streamID.MatchString(id) {
			t.Fatalf("accepted %q as %q", s, id)
		}
		if id != "" && encodeCursor(id) != s {
			t.Fatalf("cursor %q is not canonical", s)
		}
	})
}
