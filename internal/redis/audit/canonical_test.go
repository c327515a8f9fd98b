package audit

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
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
// strings (invalid UTF-8 included), lists, times and index.
func FuzzCanonicalAt(f *testing.F) {
	for _, tc := range canonicalCases {
		f.Add(tc.e.Actor, tc.e.Reason, tc.e.Record, tc.e.Unverified, tc.e.Time.UnixNano(), int16(0), uint8(3), tc.e.Index)
	}
	f.Fuzz(func(t *testing.T, actor, reason, record string, unverified bool, unixNano int64, zoneMinutes int16, lists uint8, i int64) {
		if i < 0 {
			i = -(i + 1)
		}
		e := broker.AuditEntry{ID: record, Time: time.Unix(0, unixNano).In(time.FixedZone("", int(zoneMinutes)*60)),
			RequestID: reason, Livc: actor, Actor: actor, Sub: reason, Action: record, Purpose: actor, SubjectRef: record,
			CaseID: reason, Record: record, Decision: actor, PolicyRevision: record, Reason: reason, Unverified: unverified,
			LeafHash: record}
		// lists: bits 0-1 the shape of Released, 2-3 of Withheld: nil, empty, one, three.
		shape := func(k uint8) []string {
			return [][]string{nil, {}, {reason}, {actor, reason, record}}[k&3]
		}
		e.Released, e.Withheld = shape(lists), shape(lists>>2)
		checkCanonicalAt(t, e, i)
	})
}

// TestCanonicalEveryField sets every field of AuditEntry, found by
// reflection, so that a field added later is in the comparison even when it
// is omitted while empty.
func TestCanonicalEveryField(t *testing.T) {
	var e broker.AuditEntry
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.Date(2026, 12, 2, 7, 8, 9, 10, time.UTC)))
		case f.Kind() == reflect.String:
			f.SetString("<" + v.Type().Field(i).Name + ">")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int64:
			f.SetInt(42)
		case f.Type() == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{"a", v.Type().Field(i).Name}))
		default:
			t.Fatalf("AuditEntry.%s is a %s, which this test cannot set: teach it, and canonicalHead", v.Type().Field(i).Name, f.Type())
		}
	}
	checkCanonicalAt(t, e, 42)
}

// An entry whose time JSON cannot write is refused, as json.Marshal
// refuses it, not stored with a time of another form.
func TestCanonicalHeadRefusesTime(t *testing.T) {
	e := broker.AuditEntry{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := Canonical(e); err == nil {
		t.Fatal("json.Marshal wrote a year past 9999")
	}
	if head, err := canonicalHead(e); err == nil {
		t.Fatalf("canonicalHead wrote %s", head)
	}
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
func mustPending(t testing.TB, ctx context.Context, e *broker.AuditEntry, write *plan.Plan) *pending {
	t.Helper()
	p, err := newPending(ctx, e, write)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
