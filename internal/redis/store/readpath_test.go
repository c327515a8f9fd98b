package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// ReadSubject must give, in one read, what CasesOfSubject, Records and
// ExistingDataKey give: for a subject with dossiers, records and a key,
// without a key (erased), without dossiers, and unknown.
func TestReadSubject(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		for _, w := range []struct{ ref, id string }{{"s_a", "sig_2"}, {"s_a", "sig_1"}, {"s_nokey", "sig_3"}, {"s_nocase", "sig_4"}} {
			if err := s.PutRecord(ctx, cell, w.ref, broker.SealedRecord{ID: w.id, Sealed: []byte("sealed-" + w.id)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, ref := range []string{"s_a", "s_nocase"} {
			if _, err := s.DataKey(ctx, cell, ref, []byte("wrapped-"+ref)); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		for _, cs := range []broker.Case{
			testCase(cell, "case_2", "s_a", t0.Add(time.Hour)), testCase(cell, "case_1", "s_a", t0),
			testCase(cell, "case_3", "s_nokey", t0),
		} {
			if err := s.CreateCase(ctx, cs); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name, ref string
			cases     []string
			ids       []string
			wrapped   []byte
		}{
			{"dossiers, records and key", "s_a", []string{"case_1", "case_2"}, []string{"sig_2", "sig_1"}, []byte("wrapped-s_a")},
			{"records without key", "s_nokey", []string{"case_3"}, []string{"sig_3"}, nil},
			{"no dossier", "s_nocase", nil, []string{"sig_4"}, []byte("wrapped-s_nocase")},
			{"unknown subject", "s_unknown", nil, nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d, err := s.ReadSubject(ctx, cell, tt.ref)
				if err != nil {
					t.Fatal(err)
				}
				var cases, ids []string
				for _, k := range d.Dossiers {
					cases = append(cases, k.ID)
				}
				slices.Sort(cases)
				for _, r := range d.Sealed {
					ids = append(ids, r.ID)
					if string(r.Sealed) != "sealed-"+r.ID {
						t.Errorf("record %s holds %q", r.ID, r.Sealed)
					}
				}
				if !slices.Equal(cases, tt.cases) || !slices.Equal(ids, tt.ids) ||
					string(d.Wrapped) != string(tt.wrapped) || (tt.wrapped == nil) != (d.Wrapped == nil) {
					t.Fatalf("got %v %v %q, want %v %v %q", cases, ids, d.Wrapped, tt.cases, tt.ids, tt.wrapped)
				}
				old, err := s.CasesOfSubject(ctx, cell, tt.ref)
				if err != nil || len(old) != len(d.Dossiers) {
					t.Fatalf("CasesOfSubject gives %+v (%v), ReadSubject %+v", old, err, d.Dossiers)
				}
				for _, k := range old {
					i := slices.IndexFunc(d.Dossiers, func(r broker.DossierRoster) bool { return r.ID == k.ID })
					if i < 0 || d.Dossiers[i].State != k.State || !slices.Equal(d.Dossiers[i].Roster, k.Roster) {
						t.Errorf("dossier %s: CasesOfSubject %+v, ReadSubject %+v", k.ID, k, d.Dossiers)
					}
				}
				recs, err := s.Records(ctx, cell, tt.ref)
				if err != nil || len(recs) != len(d.Sealed) {
					t.Fatalf("Records gives %d records (%v), ReadSubject %d", len(recs), err, len(d.Sealed))
				}
			})
		}
		t.Run("record listed without payload", func(t *testing.T) {
			p, _ := subjectPrefix(cell, "s_a")
			if err := c.RPush(ctx, p+"record-ids", "sig_lost").Err(); err != nil {
				t.Fatal(err)
			}
			if d, err := s.ReadSubject(ctx, cell, "s_a"); err == nil || broker.KindOf(err) != broker.KindUnavailable {
				t.Fatalf("got %+v, %v; want an unavailable store", d, err)
			}
		})
		t.Run("bad ref", func(t *testing.T) {
			if _, err := s.ReadSubject(ctx, cell, ""); err == nil {
				t.Fatal("an empty ref was read")
			}
		})
	})
}

// subjectData takes ReadSubject's replies apart, refusing what the store
// should never hold and any command's error, but a missing data key.
func TestSubjectData(t *testing.T) {
	type replies struct {
		docs *redis.Cmd
		ids  *redis.StringSliceCmd
		all  *redis.MapStringStringCmd
		key  *redis.StringCmd
	}
	replyErr := errors.New("ERR injected")
	for _, tc := range []struct {
		name   string
		change func(r *replies)
		ok     bool
	}{
		{"full", func(*replies) {}, true},
		{"no key", func(r *replies) { r.key = redis.NewStringResult("", redis.Nil) }, true},
		{"missing record", func(r *replies) { r.ids = redis.NewStringSliceResult([]string{"sig_1", "sig_lost"}, nil) }, false},
		{"dossier not JSON", func(r *replies) { r.docs = redis.NewCmdResult([]any{"{"}, nil) }, false},
		{"dossiers not a list", func(r *replies) { r.docs = redis.NewCmdResult("x", nil) }, false},
		{"dossier script error", func(r *replies) { r.docs = redis.NewCmdResult(nil, replyErr) }, false},
		{"ids error", func(r *replies) { r.ids = redis.NewStringSliceResult(nil, replyErr) }, false},
		{"records error", func(r *replies) { r.all = redis.NewMapStringStringResult(nil, replyErr) }, false},
		{"key error", func(r *replies) { r.key = redis.NewStringResult("", replyErr) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := replies{
				docs: redis.NewCmdResult([]any{`{"id":"case_1","state":"open","roster":["pz"]}`}, nil),
				ids:  redis.NewStringSliceResult([]string{"sig_1"}, nil),
				all:  redis.NewMapStringStringResult(map[string]string{"sig_1": "sealed", "sig_other": "x"}, nil),
				key:  redis.NewStringResult("key", nil),
			}
			tc.change(&r)
			got, err := subjectData(&rosterCache{}, r.docs, r.ids, r.all, r.key)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err != nil && broker.KindOf(err) != broker.KindUnavailable {
				t.Errorf("err %v, want an unavailable store", err)
			}
			if err == nil && (len(got.Sealed) != 1 || len(got.Dossiers) != 1 || got.Dossiers[0].Roster[0] != "pz") {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// LookupSubject must find the ref as FindSubject does, give each alias's link
// and that ref's data key, in one read.
func TestLookupSubject(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		if _, err := s.LinkSubject(ctx, cell, []string{"a1", "a2"}, "s_a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkSubject(ctx, cell, []string{"b1"}, "s_b"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DataKey(ctx, cell, "s_a", []byte("wrapped-a")); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			aliases []string
			ref     string
			links   []string
			wrapped []byte
		}{
			{"new person", []string{"x1", "x2"}, "s_new", []string{"", ""}, nil},
			{"linked, with a key", []string{"a1"}, "s_a", []string{"s_a"}, []byte("wrapped-a")},
			{"a later alias linked", []string{"x1", "a2"}, "s_a", []string{"", "s_a"}, []byte("wrapped-a")},
			{"the first linked wins", []string{"b1", "a1"}, "s_b", []string{"s_b", "s_a"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				look, err := s.LookupSubject(ctx, cell, tt.aliases, "s_new")
				if err != nil {
					t.Fatal(err)
				}
				if look.Ref != tt.ref || !slices.Equal(look.Links, tt.links) ||
					string(look.Wrapped) != string(tt.wrapped) || (tt.wrapped == nil) != (look.Wrapped == nil) {
					t.Fatalf("got %+v, want %s %v %q", look, tt.ref, tt.links, tt.wrapped)
				}
				if found, err := s.FindSubject(ctx, cell, tt.aliases); tt.ref != "s_new" && (err != nil || found != tt.ref) {
					t.Errorf("FindSubject says %q (%v)", found, err)
				}
			})
		}
		if look, err := s.LookupSubject(ctx, cell, []string{"x1"}, "s_new"); err != nil || look.Ref != "s_new" {
			t.Fatalf("a lookup linked something: %+v %v", look, err)
		}
		for name, args := range map[string][]string{"no alias": nil, "empty alias": {""}} {
			if _, err := s.LookupSubject(ctx, cell, args, "s_new"); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		if _, err := s.LookupSubject(ctx, cell, []string{"a1"}, ""); err == nil {
			t.Error("empty new ref: no error")
		}
	})
}

func TestLookupReply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply []any
		ok    bool
	}{
		{"full", []any{"s_a", []any{"s_a", ""}, "key"}, true},
		{"no key", []any{"s_a", []any{"", ""}, nil}, true},
		{"two parts", []any{"s_a", []any{"", ""}}, false},
		{"empty ref", []any{"", []any{"", ""}, nil}, false},
		{"links short", []any{"s_a", []any{""}, nil}, false},
		{"link not a string", []any{"s_a", []any{"", int64(1)}, nil}, false},
		{"key not a string", []any{"s_a", []any{"", ""}, int64(1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := lookupReply(tc.reply, 2); (err == nil) != tc.ok {
				t.Errorf("err %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// ReadScope reads the dossiers, the requester's own record ids and the key,
// and every record only for an actor on the roster of an open dossier; a
// subject with records the source index does not count is OwnPartial.
func TestReadScope(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		sp, _ := subjectPrefix(cell, "s_a")
		for _, r := range []struct{ id, source string }{{"sig_1", "police"}, {"sig_2", "school"}, {"sig_3", "police"}} {
			if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: r.id, Sealed: []byte("sealed-" + r.id)}); err != nil {
				t.Fatal(err)
			}
			// The index a planned record write keeps (PlanRecord).
			c.RPush(ctx, sp+"source:"+r.source, r.id)
			c.SAdd(ctx, sp+"sources", r.source)
			c.Incr(ctx, sp+"indexed")
		}
		if err := s.PutRecord(ctx, cell, "s_old", broker.SealedRecord{ID: "sig_9", Sealed: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCase(ctx, testCase(cell, "case_1", "s_a", time.Now())); err != nil { // roster: police
			t.Fatal(err)
		}
		tests := []struct {
			name, ref, actor string
			own              []string
			all              bool
			partial          bool
		}{
			{"on the roster of an open dossier", "s_a", "police", []string{"sig_1", "sig_3"}, true, false},
			{"off the roster", "s_a", "school", []string{"sig_2"}, false, false},
			{"nothing of its own", "s_a", "mayor", nil, false, false},
			{"unknown subject", "s_unknown", "police", nil, false, false},
			{"records from before the index", "s_old", "police", nil, false, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d, err := s.ReadScope(ctx, cell, tt.ref, tt.actor)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(d.Own, tt.own) || d.AllRead != tt.all || d.OwnPartial != tt.partial {
					t.Fatalf("own %v all %v partial %v, want %v %v %v", d.Own, d.AllRead, d.OwnPartial, tt.own, tt.all, tt.partial)
				}
				if tt.all != (len(d.Sealed) == 3) || (!tt.all && len(d.Sealed) != 0) {
					t.Fatalf("%d records read", len(d.Sealed))
				}
				recs, err := s.SealedRecords(ctx, cell, tt.ref, tt.own)
				if err != nil || len(recs) != len(tt.own) {
					t.Fatalf("SealedRecords %v: %d (%v)", tt.own, len(recs), err)
				}
			})
		}
	})
}
