package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func ids(cs []broker.Case) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// The per-actor roster index follows every roster change and closure, and
// the counts follow every state, category and priority change.
func TestRosterIndexAndCounts(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		now := time.Now().UTC()
		var cases []broker.Case
		for i := range 5 {
			k := broker.Case{ID: fmt.Sprintf("case_%d", i), Livc: cell, SubjectRef: "s_x", Category: "radicalisation",
				State: broker.StateRegistration, Roster: []string{"a"}, CreatedAt: now}
			if i%2 == 1 {
				k.Roster = []string{"b"}
			}
			if err := s.CreateCase(ctx, k); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, k)
		}
		list := func(scope, actor, cursor string, limit int) ([]string, string) {
			t.Helper()
			got, next, err := s.ListCases(ctx, broker.CaseQuery{Livc: cell, Scope: scope, Actor: actor, Cursor: cursor, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return ids(got), next
		}
		if got, _ := list(broker.ScopeRoster, "a", "", 10); !slices.Equal(got, []string{"case_0", "case_2", "case_4"}) {
			t.Fatalf("a's dossiers %v", got)
		}
		page1, next := list(broker.ScopeCell, "", "", 2)
		page2, next2 := list(broker.ScopeCell, "", next, 2)
		page3, next3 := list(broker.ScopeCell, "", next2, 2)
		if !slices.Equal(slices.Concat(page1, page2, page3), []string{"case_0", "case_1", "case_2", "case_3", "case_4"}) || next3 != "" {
			t.Fatalf("pages %v %v %v (%q)", page1, page2, page3, next3)
		}
		// case_0 moves from a to b and c; case_2 closes.
		k0 := cases[0]
		k0.Roster, k0.Priority, k0.State = []string{"b", "c"}, 2, broker.StateFormation
		k2 := cases[2]
		k2.State = broker.StateClosed
		for _, k := range []broker.Case{k0, k2} {
			if err := s.UpdateCase(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		for actor, want := range map[string][]string{"a": {"case_4"}, "b": {"case_0", "case_1", "case_3"}, "c": {"case_0"}, "d": {}} {
			if got, _ := list(broker.ScopeRoster, actor, "", 10); !slices.Equal(got, want) {
				t.Errorf("%s's dossiers %v, want %v", actor, got, want)
			}
		}
		counts, err := s.CaseCounts(ctx, cell)
		if err != nil {
			t.Fatal(err)
		}
		if counts.ByState[broker.StateRegistration] != 3 || counts.ByState[broker.StateFormation] != 1 ||
			counts.ByState[broker.StateClosed] != 1 || counts.ByCategory["radicalisation"] != 5 ||
			counts.ByPriority["2"] != 1 || counts.ByPriority["none"] != 4 {
			t.Errorf("counts %+v", counts)
		}
		if err := s.CountSignal(ctx, cell, "2026-11"); err != nil {
			t.Fatal(err)
		}
		if counts, _ := s.CaseCounts(ctx, cell); counts.SignalsByMonth["2026-11"] != 1 {
			t.Errorf("signals %v", counts.SignalsByMonth)
		}
		if _, _, err := s.ListCases(ctx, broker.CaseQuery{Livc: cell, Scope: broker.ScopeCell, Cursor: "x"}); err == nil {
			t.Error("malformed cursor accepted")
		}
		if _, _, err := s.ListCases(ctx, broker.CaseQuery{Livc: cell, Scope: ""}); err == nil {
			t.Error("empty scope accepted")
		}
	})
}
