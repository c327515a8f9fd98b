package redisaudit

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisops"
)

// canonicalCases are entries whose encoding has every shape canonicalHead
// must cut right: omitted optional fields, both booleans, escapes, empty and
// nil lists, a time with a zone.
var canonicalCases = []struct {
	name string
	e    broker.AuditEntry
}{
	{"zero", broker.AuditEntry{}},
	{"card read", broker.AuditEntry{ID: "aud_aaaaaaaaaaaaaaaaaaaaaaaaaa", Time: time.Date(2026, 12, 2, 5, 0, 0, 123, time.UTC),
		RequestID: "req_1", Livc: "zonnedaal", Actor: "pz", Sub: "officer-1", Action: "card.read",
		Purpose: "case_conference", SubjectRef: "s_bbbbbbbbbbbbbbbbbbbbbbbbbb", Decision: "allow",
		Released: []string{"presence", "signal_text"}, Withheld: []string{}, PolicyRevision: "rev"}},
	{"submission with record", broker.AuditEntry{Action: "signal.submit", Record: "sig_cccccccccccccccccccccccccc", Released: nil}},
	{"unverified", broker.AuditEntry{Unverified: true, Reason: "token expired"}},
	{"escapes", broker.AuditEntry{Reason: "a \"quote\", <html> & \u2028, \x00 and \xff", Sub: `back\slash`}},
	{"zone and leaf", broker.AuditEntry{Time: time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), LeafHash: "ab", Index: 7}},
}

// TestCanonicalAt: the head the appending goroutine encodes, completed by
// the batcher with an index, is byte for byte Canonical of the entry at
// that index.
func TestCanonicalAt(t *testing.T) {
	for _, tc := range canonicalCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, i := range []int64{0, 1, 9, 10, 12345, math.MaxInt64} {
				checkCanonicalAt(t, tc.e, i)
			}
		})
	}
}

// FuzzCanonicalAt checks TestCanonicalAt's property on entries of any
// strings (invalid UTF-8 included) and any index.
func FuzzCanonicalAt(f *testing.F) {
	for _, tc := range canonicalCases {
		f.Add(tc.e.Actor, tc.e.Reason, tc.e.Record, tc.e.Unverified, tc.e.Index)
	}
	f.Fuzz(func(t *testing.T, actor, reason, record string, unverified bool, i int64) {
		if i < 0 {
			i = -(i + 1)
		}
		checkCanonicalAt(t, broker.AuditEntry{Actor: actor, Reason: reason, Record: record, Unverified: unverified,
			Released: []string{reason}, LeafHash: record}, i)
	})
}

// checkCanonicalAt fails t unless e's head completed with index i is
// Canonical of e at index i.
func checkCanonicalAt(t *testing.T, e broker.AuditEntry, i int64) {
	t.Helper()
	head, err := canonicalHead(e)
	if err != nil {
		t.Fatal(err)
	}
	e.Index = i
	want, err := Canonical(e)
	if err != nil {
		t.Fatal(err)
	}
	if got := canonicalAt(head, i); !bytes.Equal(got, want) {
		t.Fatalf("index %d:\n got %s\nwant %s", i, got, want)
	}
}

// mustPending is newPending for a test that builds a batch by hand.
func mustPending(t testing.TB, ctx context.Context, e *broker.AuditEntry, plan *redisops.Plan) *pending {
	t.Helper()
	p, err := newPending(ctx, e, plan)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
