package store

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// TestSignalCountsBySource checks that a signal's plan counts it by month
// and by month and source, that CaseCounts reads both back, and that months
// counted before the counts by source were kept still read (as totals).
func TestSignalCountsBySource(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx := context.Background()
		s, cell := New(c), redistest.NewCell(t, c)
		p, err := cellPrefix(cell)
		if err != nil {
			t.Fatal(err)
		}
		w, err := s.PlanRecord(ctx, broker.RecordWrite{Livc: cell, Ref: "s_aaaaaaaaaaaaaaaaaaaaaaaaaa",
			Key: broker.KeyUse{Wrapped: []byte("k"), Fresh: true}, Record: broker.SealedRecord{ID: "sig_1", Sealed: []byte("x")},
			Month: "2026-11", Source: "pz"})
		if err != nil {
			t.Fatal(err)
		}
		want := plan.Op{Cmd: "HINCRBY", Key: p + "stats:signals:source", Args: []string{"2026-11/pz", "1"}}
		if !slices.ContainsFunc(w.(*plan.Plan).Ops, func(o plan.Op) bool {
			return o.Cmd == want.Cmd && o.Key == want.Key && slices.Equal(o.Args, want.Args)
		}) {
			t.Fatalf("plan %+v does not count the signal by source", w)
		}
		if _, err := s.PlanRecord(ctx, broker.RecordWrite{Livc: cell, Ref: "s_aaaaaaaaaaaaaaaaaaaaaaaaaa",
			Key: broker.KeyUse{Wrapped: []byte("k"), Fresh: true}, Record: broker.SealedRecord{ID: "sig_2", Sealed: []byte("x")},
			Month: "2026-11", Source: "{x}"}); err == nil {
			t.Error("a source with a hash tag accepted")
		}

		// What the plan's ops write, and a month of before the counts by
		// source (2026-10, a total only).
		c.HSet(ctx, p+"stats:signals", "2026-10", "7", "2026-11", "9")
		c.HSet(ctx, p+"stats:signals:source", "2026-11/pz", "3", "2026-11/ocmw", "6")
		counts, err := s.CaseCounts(ctx, cell)
		if err != nil {
			t.Fatal(err)
		}
		if counts.SignalsByMonth["2026-10"] != 7 || counts.SignalsBySource["2026-11"]["pz"] != 3 || len(counts.SignalsBySource["2026-10"]) != 0 {
			t.Fatalf("counts %+v", counts)
		}
		if v := counts.Without("pz").SignalsByMonth; v["2026-10"] != 7 || v["2026-11"] != 6 {
			t.Errorf("pz's view %v, want 2026-10: 7 (no counts by source), 2026-11: 6", v)
		}
		c.HSet(ctx, p+"stats:signals:source", "2026-11", "1")
		if _, err := s.CaseCounts(ctx, cell); err == nil {
			t.Error("a count by source without a source accepted")
		}
	})
}
