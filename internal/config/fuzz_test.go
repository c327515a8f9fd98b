package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with every file under
// testdata (and the corpus in testdata/fuzz/FuzzParse). It must never panic;
// what it refuses it refuses with a *Error naming the file; what it accepts
// must be a consistent cell.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/*/*.yaml")
	for _, path := range append(seeds, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cell, _, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) == 0 {
				t.Fatalf("error %T %v is not a *config.Error with problems", err, err)
			}
			for _, p := range cerr.Problems {
				if p.File != "fuzz.yaml" || p.Msg == "" || p.Line < 0 {
					t.Fatalf("bad problem %#v", p)
				}
			}
			if cell != nil {
				t.Fatal("a cell returned with an error")
			}
			return
		}
		if len(data) > MaxSize {
			t.Fatalf("accepted %d bytes", len(data))
		}
		checkInvariants(t, cell)
	})
}

// checkInvariants asserts what every accepted cell promises the rest of the
// broker.
func checkInvariants(t *testing.T, c *broker.Cell) {
	t.Helper()
	if c == nil {
		t.Fatal("nil cell")
	}
	if !idPattern.MatchString(c.ID) {
		t.Errorf("cell id %q", c.ID)
	}
	if len(c.Actors) == 0 {
		t.Error("no actors")
	}
	for id, a := range c.Actors {
		if id != a.ID || !idPattern.MatchString(id) || !slices.Contains(broker.ActorTypes, a.Type) {
			t.Errorf("actor %q: %+v", id, a)
		}
		for _, r := range a.Recipients {
			if checkRecipient(r) != "" {
				t.Errorf("actor %q has recipient %q", id, r)
			}
		}
	}
	for table, ids := range c.Tables {
		if !slices.Contains(broker.Tables, table) {
			t.Errorf("table %q", table)
		}
		for i, id := range ids {
			if _, ok := c.Actors[id]; !ok || slices.Contains(ids[:i], id) {
				t.Errorf("table %q names %q, undeclared or twice", table, id)
			}
		}
	}
	for name, p := range c.Purposes {
		if name != p.Name || !idPattern.MatchString(name) {
			t.Errorf("purpose %q: %+v", name, p)
		}
		if _, ok := c.Tables[p.Table]; p.Table != "" && !ok {
			t.Errorf("purpose %q of undeclared table %q", name, p.Table)
		}
	}
	classes := map[string]bool{}
	for name, f := range c.Fields {
		classes[f.Class] = true
		if name != f.Name || !idPattern.MatchString(name) || !idPattern.MatchString(f.Class) {
			t.Errorf("field %q: %+v", name, f)
		}
		checkField(t, f)
	}
	for purpose, byClass := range c.Release {
		if _, ok := c.Purposes[purpose]; !ok {
			t.Errorf("release under undeclared purpose %q", purpose)
		}
		for class, types := range byClass {
			if !classes[class] {
				t.Errorf("release of class %q no field has", class)
			}
			for i, typ := range types {
				if !slices.Contains(broker.ActorTypes, typ) || slices.Contains(types[:i], typ) {
					t.Errorf("release %s/%s names %q", purpose, class, typ)
				}
			}
		}
	}
	if r := c.Retention; r.SignalWithoutCase < 0 || r.ClosedCase < 0 || r.SignalWithoutCase > maxRetentionDays || r.ClosedCase > maxRetentionDays {
		t.Errorf("retention %+v", r)
	}
	for _, typ := range c.Secrecy {
		if !slices.Contains(broker.ActorTypes, typ) {
			t.Errorf("secrecy names %q", typ)
		}
	}
	if m := c.Minors; m != nil {
		if m.Age < 1 || m.Age > maxMinorsAge {
			t.Errorf("minors age %d", m.Age)
		}
		// A minor's matrix releases nothing the adult one does not.
		for purpose, byClass := range m.Release {
			for class, types := range byClass {
				for _, typ := range types {
					if !slices.Contains(c.Release[purpose][class], typ) {
						t.Errorf("minors.release %s/%s names %q, which release does not", purpose, class, typ)
					}
				}
			}
		}
		if r := m.Retention; r.SignalWithoutCase < 0 || r.ClosedCase < 0 || r.SignalWithoutCase > c.Retention.SignalWithoutCase || r.ClosedCase > c.Retention.ClosedCase {
			t.Errorf("minors retention %+v longer than %+v", r, c.Retention)
		}
	}
}

func checkField(t *testing.T, f broker.FieldSpec) {
	t.Helper()
	bad := false
	switch f.Type {
	case broker.FieldString, broker.FieldList:
		bad = f.Max == nil || *f.Max < 1 || f.Min != nil || f.Values != nil
	case broker.FieldInteger:
		bad = f.Values != nil || (f.Min != nil && f.Max != nil && *f.Min > *f.Max)
	case broker.FieldEnum:
		bad = len(f.Values) == 0 || f.Max != nil || f.Min != nil
		for i, v := range f.Values {
			bad = bad || v == "" || slices.Contains(f.Values[:i], v)
		}
	case broker.FieldDate, broker.FieldNationalNumber:
		bad = f.Max != nil || f.Min != nil || f.Values != nil
	default:
		bad = true
	}
	if bad {
		t.Errorf("field %q: %+v (max %v, min %v)", f.Name, f, deref(f.Max), deref(f.Min))
	}
}

func deref(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}
