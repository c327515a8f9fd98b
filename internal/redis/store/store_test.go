package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestLinkSubject(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)

		ref, err := s.LinkSubject(ctx, cell, []string{"nn1", "name1"}, "s_a")
		if err != nil || ref != "s_a" {
			t.Fatalf("first link: %q %v", ref, err)
		}
		// A later record naming the person by name only finds the same ref.
		if ref, err := s.LinkSubject(ctx, cell, []string{"name1"}, "s_b"); err != nil || ref != "s_a" {
			t.Fatalf("link by second alias: %q %v", ref, err)
		}
		// A new alias together with a known one is linked to the known ref.
		if ref, err := s.LinkSubject(ctx, cell, []string{"nn2", "name1"}, "s_c"); err != nil || ref != "s_a" {
			t.Fatalf("link new alias with known one: %q %v", ref, err)
		}
		if ref, err := s.FindSubject(ctx, cell, []string{"nn2"}); err != nil || ref != "s_a" {
			t.Fatalf("find new alias: %q %v", ref, err)
		}
		if _, err := s.FindSubject(ctx, cell, []string{"nobody"}); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("find unknown: %v", err)
		}
		if _, err := s.FindSubject(ctx, redistest.NewCell(t, c), []string{"nn1"}); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("another cell sees the alias: %v", err)
		}
		got, err := c.SMembers(ctx, "livc:{livc:"+cell+"}:subject:s_a:aliases").Result()
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []string{"name1", "nn1", "nn2"}) {
			t.Fatalf("reverse alias set: %v %v", got, err)
		}
		if _, err := s.LinkSubject(ctx, cell, nil, "s_x"); err == nil {
			t.Fatal("linked no alias")
		}
	})
}

func TestLinkSubjectConcurrent(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		const n = 16
		refs := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Each caller names the person by a different mix of aliases.
				aliases := []string{"nn", fmt.Sprintf("name%d", i%3)}
				if i%2 == 1 {
					aliases = []string{aliases[1], aliases[0]}
				}
				refs[i], errs[i] = s.LinkSubject(ctx, cell, aliases, fmt.Sprintf("s_%d", i))
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if refs[i] != refs[0] {
				t.Fatalf("callers disagree: %q vs %q", refs[i], refs[0])
			}
		}
		for _, a := range []string{"nn", "name0", "name1", "name2"} {
			if ref, err := s.FindSubject(ctx, cell, []string{a}); err != nil || ref != refs[0] {
				t.Fatalf("alias %s: %q %v", a, ref, err)
			}
		}
	})
}

func TestDataKey(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		if _, err := s.ExistingDataKey(ctx, cell, "s_a"); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("existing before set: %v", err)
		}
		const n = 8
		got := make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				k, err := s.DataKey(ctx, cell, "s_a", []byte{byte(i), 0xff})
				if err != nil {
					t.Error(err)
				}
				got[i] = k
			})
		}
		wg.Wait()
		for i := range n {
			if !slices.Equal(got[i], got[0]) {
				t.Fatalf("data keys differ: %x vs %x", got[i], got[0])
			}
		}
		k, err := s.ExistingDataKey(ctx, cell, "s_a")
		if err != nil || !slices.Equal(k, got[0]) {
			t.Fatalf("existing: %x %v", k, err)
		}
		if _, err := s.DataKey(ctx, cell, "s_b", nil); err == nil {
			t.Fatal("stored an empty key")
		}
	})
}

func TestRecords(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		recs, err := s.Records(ctx, cell, "s_a")
		if err != nil || len(recs) != 0 {
			t.Fatalf("records of unknown subject: %v %v", recs, err)
		}
		// Ids that sort differently from their insertion order.
		ids := []string{"sig_z", "sig_a", "obs_m", "sig_b", "obs_0"}
		for i, id := range ids {
			if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: id, Sealed: []byte{byte(i), 0, 0xfe}}); err != nil {
				t.Fatal(err)
			}
		}
		// Storing an id again replaces it in place.
		if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: "sig_a", Sealed: []byte("new")}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutRecord(ctx, cell, "s_b", broker.SealedRecord{ID: "other", Sealed: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		recs, err = s.Records(ctx, cell, "s_a")
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, r := range recs {
			gotIDs = append(gotIDs, r.ID)
		}
		if !slices.Equal(gotIDs, ids) {
			t.Fatalf("order: %v, want %v", gotIDs, ids)
		}
		if string(recs[1].Sealed) != "new" || !slices.Equal(recs[4].Sealed, []byte{4, 0, 0xfe}) {
			t.Fatalf("payloads: %q %x", recs[1].Sealed, recs[4].Sealed)
		}
		for _, tt := range []struct {
			ref, id string
			want    bool
		}{{"s_a", "obs_m", true}, {"s_a", "other", false}, {"s_b", "other", true}, {"s_c", "sig_a", false}} {
			if ok, err := s.HasRecord(ctx, cell, tt.ref, tt.id); err != nil || ok != tt.want {
				t.Errorf("HasRecord(%s, %s) = %v %v", tt.ref, tt.id, ok, err)
			}
		}
		if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: "", Sealed: []byte("x")}); err == nil {
			t.Fatal("stored a record without id")
		}
	})
}

func testCase(cell, id, ref string, created time.Time) broker.Case {
	return broker.Case{
		ID: id, Livc: cell, SubjectRef: ref, SignalIDs: []string{"sig_1"},
		Category: "radicalisation", State: broker.StateRegistration, Roster: []string{"police"},
		CreatedBy: "coordinator", CreatedAt: created, UpdatedAt: created,
	}
}

func equalCase(a, b broker.Case) bool {
	return a.ID == b.ID && a.Livc == b.Livc && a.SubjectRef == b.SubjectRef &&
		slices.Equal(a.SignalIDs, b.SignalIDs) && a.Category == b.Category && a.State == b.State &&
		slices.Equal(a.Roster, b.Roster) && a.Priority == b.Priority && a.CreatedBy == b.CreatedBy &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestCases(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		t0 := time.Date(2026, 11, 20, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
		c2 := testCase(cell, "case_2", "s_a", t0.Add(time.Hour))
		c1 := testCase(cell, "case_1", "s_a", t0)
		c3 := testCase(cell, "case_3", "s_b", t0)
		for _, cs := range []broker.Case{c2, c1, c3} {
			if err := s.CreateCase(ctx, cs); err != nil {
				t.Fatal(err)
			}
		}
		err := s.CreateCase(ctx, c1)
		if !errors.Is(err, ErrExists) || broker.KindOf(err) != broker.KindConflict {
			t.Fatalf("create existing: %v", err)
		}
		got, err := s.Case(ctx, cell, "case_1")
		if err != nil || !equalCase(got, c1) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		list, err := s.CasesOfSubject(ctx, cell, "s_a")
		if err != nil || len(list) != 2 || list[0].ID != "case_1" || list[1].ID != "case_2" {
			t.Fatalf("cases of s_a: %+v %v", list, err)
		}

		c1.State, c1.Priority, c1.Roster = broker.StateFormation, 3, []string{"police", "clb"}
		c1.UpdatedAt = t0.Add(2 * time.Hour)
		if err := s.UpdateCase(ctx, c1); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Case(ctx, cell, "case_1"); err != nil || !equalCase(got, c1) {
			t.Fatalf("after update: %+v %v", got, err)
		}
		// Moving a dossier to another subject moves it between the indexes.
		c1.SubjectRef = "s_b"
		if err := s.UpdateCase(ctx, c1); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.CasesOfSubject(ctx, cell, "s_a"); len(list) != 1 || list[0].ID != "case_2" {
			t.Fatalf("s_a after move: %+v", list)
		}
		if list, _ := s.CasesOfSubject(ctx, cell, "s_b"); len(list) != 2 || list[0].ID != "case_1" || list[1].ID != "case_3" {
			t.Fatalf("s_b after move: %+v", list)
		}
		ids, err := c.ZRange(ctx, "livc:{livc:"+cell+"}:cases", 0, -1).Result()
		if err != nil || !slices.Equal(ids, []string{"case_2", "case_1", "case_3"}) {
			t.Fatalf("cell index: %v %v", ids, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		for _, tt := range []struct {
			name string
			fn   func() error
		}{
			{"find subject", func() error { _, err := s.FindSubject(ctx, cell, []string{"a"}); return err }},
			{"find no alias", func() error { _, err := s.FindSubject(ctx, cell, nil); return err }},
			{"existing data key", func() error { _, err := s.ExistingDataKey(ctx, cell, "s_a"); return err }},
			{"case", func() error { _, err := s.Case(ctx, cell, "case_x"); return err }},
			{"update case", func() error { return s.UpdateCase(ctx, testCase(cell, "case_x", "s_a", time.Now())) }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.fn(); err != broker.ErrNotFound {
					t.Fatalf("got %v, want broker.ErrNotFound", err)
				}
			})
		}
		if list, err := s.CasesOfSubject(ctx, cell, "s_a"); err != nil || len(list) != 0 {
			t.Fatalf("cases of unknown subject: %v %v", list, err)
		}
		if _, err := s.Case(ctx, cell, "case_x"); err != broker.ErrNotFound {
			t.Fatal(err)
		}
	})
}

func TestRefusesBadCellID(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		s := New(c)
		for _, cell := range []string{"", "a}b", "{x}"} {
			if _, err := s.LinkSubject(context.Background(), cell, []string{"a"}, "s"); err == nil {
				t.Errorf("cell %q accepted", cell)
			}
		}
	})
}

func TestClosedClient(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		c.Close()
		calls := map[string]func() error{
			"ping":        func() error { return s.Ping(ctx) },
			"link":        func() error { _, err := s.LinkSubject(ctx, cell, []string{"a"}, "s"); return err },
			"find":        func() error { _, err := s.FindSubject(ctx, cell, []string{"a"}); return err },
			"data key":    func() error { _, err := s.DataKey(ctx, cell, "s", []byte("k")); return err },
			"existing":    func() error { _, err := s.ExistingDataKey(ctx, cell, "s"); return err },
			"put record":  func() error { return s.PutRecord(ctx, cell, "s", broker.SealedRecord{ID: "r", Sealed: []byte("x")}) },
			"records":     func() error { _, err := s.Records(ctx, cell, "s"); return err },
			"has record":  func() error { _, err := s.HasRecord(ctx, cell, "s", "r"); return err },
			"create case": func() error { return s.CreateCase(ctx, testCase(cell, "c", "s", time.Now())) },
			"case":        func() error { _, err := s.Case(ctx, cell, "c"); return err },
			"cases of":    func() error { _, err := s.CasesOfSubject(ctx, cell, "s"); return err },
			"update case": func() error { return s.UpdateCase(ctx, testCase(cell, "c", "s", time.Now())) },
		}
		for name, call := range calls {
			t.Run(name, func(t *testing.T) {
				err := call()
				if err == nil || errors.Is(err, broker.ErrNotFound) {
					t.Fatalf("got %v, want an error", err)
				}
				if broker.KindOf(err) != broker.KindUnavailable {
					t.Errorf("kind %v, want unavailable", broker.KindOf(err))
				}
			})
		}
	})
}

func TestPing(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		if err := New(c).Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
