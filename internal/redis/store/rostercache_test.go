package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// A card read after a dossier changed sees the change: an actor taken off
// the roster, then the dossier closed. The cache is keyed by the stored
// bytes, so a changed dossier is never answered from an earlier read.
func TestReadSubjectSeesDossierChanges(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		k := testCase(cell, "case_1", "s_a", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		k.Roster = []string{"police", "ocmw"}
		if err := s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		read := func() broker.DossierRoster {
			t.Helper()
			d, err := s.ReadSubject(ctx, cell, "s_a")
			if err != nil || len(d.Dossiers) != 1 {
				t.Fatalf("%+v, %v", d, err)
			}
			return d.Dossiers[0]
		}
		for range 2 { // the second answer from the cache
			if got := read(); !slices.Equal(got.Roster, k.Roster) || !got.Open() {
				t.Fatalf("got %+v, want %+v", got, k)
			}
		}
		k.Roster = []string{"ocmw"}
		if err := s.UpdateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		if got := read(); !slices.Equal(got.Roster, []string{"ocmw"}) {
			t.Fatalf("after police left the roster: %+v", got)
		}
		k.State = broker.StateClosed
		if err := s.UpdateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		if got := read(); got.Open() {
			t.Fatalf("after closing: %+v", got)
		}
	})
}

// The cache answers what encoding/json decodes, refuses what it cannot
// decode (and does not remember it), and stays within its bound.
func TestRosterCache(t *testing.T) {
	var c rosterCache
	doc := `{"id":"case_1","state":"closed","roster":["a","b"],"history":[{"x":1}]}`
	for range 2 {
		d, err := c.decode(doc)
		if err != nil || d.ID != "case_1" || d.Open() || !slices.Equal(d.Roster, []string{"a", "b"}) {
			t.Fatalf("%+v, %v", d, err)
		}
	}
	for _, bad := range []string{"", "{", `{"roster":"a"}`, `[]`} {
		if d, err := c.decode(bad); err == nil {
			t.Errorf("%q decoded to %+v", bad, d)
		}
		if _, ok := c.lru().Get(bad); ok {
			t.Errorf("%q remembered", bad)
		}
	}
	for i := range 2*rosterCacheSize + 1 {
		if _, err := c.decode(fmt.Sprintf(`{"id":"case_%d","state":"open","roster":[]}`, i)); err != nil {
			t.Fatal(err)
		}
		if n := c.lru().Len(); n > rosterCacheSize {
			t.Fatalf("%d dossiers remembered, bound %d", n, rosterCacheSize)
		}
	}
}
