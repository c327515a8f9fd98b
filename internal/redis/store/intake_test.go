package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// putIntake writes an intake entry as planIntake's ops do, at sequence seq.
func putIntake(t *testing.T, c redis.UniversalClient, cell string, seq int, e broker.SignalEntry) {
	t.Helper()
	ctx, p := context.Background(), "livc:{livc:"+cell+"}:"
	must(t, c.HSet(ctx, p+"signal:"+e.ID, "subject_ref", e.SubjectRef, "source", e.Source,
		"received_at", e.ReceivedAt.Format(time.RFC3339Nano), "observed_at", e.ObservedAt.Format(time.RFC3339Nano),
		"state", e.State).Err())
	for _, index := range []string{p + "signals", p + "signals:" + e.State} {
		must(t, c.ZAdd(ctx, index, redis.Z{Score: float64(seq), Member: e.ID}).Err())
	}
}

// The intake lists newest first, by state, in pages whose cursor is the
// last sequence shown; an entry gone between the index and its hash (an
// erasure in between) is left out, a malformed one is an error.
func TestListSignals(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		var ids []string
		for i := 1; i <= 5; i++ {
			state := broker.SignalReceived
			if i%2 == 0 {
				state = broker.SignalInDossier
			}
			e := broker.SignalEntry{ID: fmt.Sprintf("sig_%026d", i), SubjectRef: "s_" + strconv.Itoa(i), Source: "ocmw",
				ReceivedAt: at.Add(time.Duration(i) * time.Minute), ObservedAt: at, State: state}
			putIntake(t, c, cell, i, e)
			ids = append(ids, e.ID)
		}
		page := func(q broker.SignalQuery) ([]string, string) {
			t.Helper()
			q.Livc = cell
			items, next, err := s.ListSignals(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range items {
				got = append(got, e.ID)
			}
			return got, next
		}
		tests := []struct {
			name     string
			q        broker.SignalQuery
			want     []string
			wantNext string
		}{
			{"every signal, newest first", broker.SignalQuery{}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ""},
			{"a page", broker.SignalQuery{Limit: 2}, []string{ids[4], ids[3]}, "4"},
			{"the next page", broker.SignalQuery{Limit: 2, Cursor: "4"}, []string{ids[2], ids[1]}, "2"},
			{"the last page", broker.SignalQuery{Limit: 2, Cursor: "2"}, []string{ids[0]}, ""},
			{"one state", broker.SignalQuery{State: broker.SignalInDossier}, []string{ids[3], ids[1]}, ""},
			{"a state with none", broker.SignalQuery{State: broker.SignalHeld}, nil, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, next := page(tc.q)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) || next != tc.wantNext {
					t.Fatalf("got %v next %q, want %v next %q", got, next, tc.want, tc.wantNext)
				}
			})
		}
		p := "livc:{livc:" + cell + "}:"
		must(t, c.Del(ctx, p+"signal:"+ids[4]).Err())
		if got, _ := page(broker.SignalQuery{Limit: 2}); fmt.Sprint(got) != fmt.Sprint([]string{ids[3]}) {
			t.Fatalf("an entry gone from its hash: %v", got)
		}
		must(t, c.HSet(ctx, p+"signal:"+ids[3], "received_at", "yesterday").Err())
		if _, _, err := s.ListSignals(ctx, broker.SignalQuery{Livc: cell}); err == nil {
			t.Fatal("a malformed entry listed")
		}
		for _, q := range []broker.SignalQuery{{Livc: cell, Cursor: "x"}, {Livc: cell, State: "in dossier"}, {Livc: "a{b}"}} {
			if _, _, err := s.ListSignals(ctx, q); err == nil {
				t.Errorf("%+v accepted", q)
			}
		}
	})
}

// A binding reads back as written; an erased record's envelope is spent; an
// envelope never seen is ErrNotFound.
func TestEnvelopeBinding(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		p := "livc:{livc:" + cell + "}:"
		must(t, c.HSet(ctx, p+"envelopes", "d1", "ocmw sig_1 s_a", "d2", spent, "d3", "ocmw sig_1").Err())
		if b, err := s.EnvelopeBinding(ctx, cell, "d1"); err != nil || b != (broker.EnvelopeBinding{Digest: "d1", Submitter: "ocmw", Record: "sig_1", SubjectRef: "s_a"}) {
			t.Fatalf("bound: %+v, %v", b, err)
		}
		if b, err := s.EnvelopeBinding(ctx, cell, "d2"); err != nil || !b.Spent || b.Submitter != "" {
			t.Fatalf("spent: %+v, %v", b, err)
		}
		if _, err := s.EnvelopeBinding(ctx, cell, "d3"); err == nil {
			t.Fatal("a malformed binding read")
		}
		if _, err := s.EnvelopeBinding(ctx, cell, "d4"); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("never seen: %v", err)
		}
	})
}

// PlanTakeSignals plans from the intake as the broker read it: a signal
// whose state changed since (dismissed meanwhile) or that left the intake
// makes the plan stale, and a signal of another person is refused; a
// signal still received is planned.
func TestPlanTakeSignals(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		p := "livc:{livc:" + cell + "}:"
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		prev := broker.Case{ID: "case_" + fmt.Sprintf("%026d", 1), Livc: cell, SubjectRef: "s_a", SignalIDs: []string{},
			Category: "radicalisation", State: broker.StateFormation, Roster: []string{"pz"}}
		must(t, c.ZAdd(ctx, p+"cases", redis.Z{Score: 1, Member: prev.ID}).Err())
		entry := func(i int, ref, state string) broker.SignalEntry {
			e := broker.SignalEntry{ID: fmt.Sprintf("sig_%026d", i), SubjectRef: ref, Source: "ocmw", ReceivedAt: at, ObservedAt: at, State: state}
			putIntake(t, c, cell, i, e)
			return e
		}
		received := entry(1, "s_a", broker.SignalReceived)
		dismissed := entry(2, "s_a", broker.SignalDismissed)
		other := entry(3, "s_b", broker.SignalReceived)
		gone := broker.SignalEntry{ID: fmt.Sprintf("sig_%026d", 4), SubjectRef: "s_a", State: broker.SignalReceived}
		asRead := dismissed
		asRead.State = broker.SignalReceived
		next := prev
		tests := []struct {
			name  string
			taken []broker.SignalEntry
			stale bool
		}{
			{"dismissed since it was read", []broker.SignalEntry{received, asRead}, true},
			{"gone from the intake", []broker.SignalEntry{gone}, true},
			{"another person's", []broker.SignalEntry{other}, false},
			{"none", nil, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				next.SignalIDs = nil
				for _, e := range tc.taken {
					next.SignalIDs = append(next.SignalIDs, e.ID)
				}
				w, err := s.PlanTakeSignals(ctx, prev, next, tc.taken)
				if w != nil || err == nil || errors.Is(err, broker.ErrStale) != tc.stale {
					t.Fatalf("planned %v, %v (stale wanted: %v)", w, err, tc.stale)
				}
			})
		}
		t.Run("received, as read", func(t *testing.T) {
			next.SignalIDs = []string{received.ID}
			if w, err := s.PlanTakeSignals(ctx, prev, next, []broker.SignalEntry{received}); err != nil || w == nil {
				t.Fatalf("planned %v, %v", w, err)
			}
		})
	})
}
