package broker

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker/strictjson"
)

// signalTestNow is the clock of the fixtures in testdata/signals.
var signalTestNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// exampleCatalogueCell is the cell of the spec's livc-example.yaml,
// written out by hand: only what the parsers read (its id and catalogue).
// Tests of broker do not import the configuration adapter.
func exampleCatalogueCell() *Cell {
	n := func(v int64) *int64 { return &v }
	id := func(name, typ string, max *int64) FieldSpec {
		return FieldSpec{Name: name, Class: ClassIdentity, Type: typ, Max: max}
	}
	text := func(name, class string, max int64) FieldSpec {
		return FieldSpec{Name: name, Class: class, Type: FieldString, Max: n(max)}
	}
	specs := []FieldSpec{
		id("family_name", FieldString, n(100)),
		id("given_name", FieldString, n(100)),
		id("birth_date", FieldDate, nil),
		id("national_number", FieldNationalNumber, nil),
		id("address", FieldString, n(200)),
		{Name: "presence", Class: "presence", Type: FieldEnum, Values: []string{"present", "absent", "unknown"}},
		text("signal_text", "signal", 4000),
		{Name: "indicators", Class: "signal", Type: FieldList, Max: n(20)},
		text("family_situation", "social", 1000),
		{Name: "school_absence_days", Class: "social", Type: FieldInteger, Min: n(0), Max: n(366)},
		text("guidance_trajectory", "social", 1000),
		text("health_note", "care", 1000),
		text("police_record", "police", 2000),
		text("administrative_measure", "police", 1000),
		{Name: "threat_level", Class: "intelligence", Type: FieldInteger, Min: n(0), Max: n(4)},
		text("judicial_measure", "judicial", 1000),
		text("sector_signal", "business", 1000),
	}
	cell := &Cell{ID: "zonnedaal", Name: "LIVC-R Zonnedaal", Fields: map[string]FieldSpec{}}
	for _, s := range specs {
		cell.Fields[s.Name] = s
	}
	return cell
}

// signalCase is one entry of testdata/signals/cases.json: a plaintext file,
// the parser it goes to, and either the fields it yields or the Field of the
// refusal (an absent error_field means accepted; "" is the input as a whole).
type signalCase struct {
	File       string   `json:"file"`
	Parse      string   `json:"parse"` // signal, observation or lookup
	Fields     []string `json:"fields"`
	ErrorField *string  `json:"error_field"`
}

func loadSignalCases(t testing.TB) []signalCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "signals", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []signalCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// parseAny runs the parser a case names and returns the field names it
// yields.
func parseAny(t testing.TB, cell *Cell, parser string, plaintext []byte, now time.Time) ([]string, error) {
	t.Helper()
	switch parser {
	case "signal":
		s, err := ParseSignal(cell, plaintext, now)
		return slices.Sorted(maps.Keys(s.Fields)), err
	case "observation":
		o, err := ParseObservation(cell, plaintext, now)
		return slices.Sorted(maps.Keys(o.Fields)), err
	case "lookup":
		_, err := ParseLookup(cell, plaintext)
		return nil, err
	}
	t.Fatalf("unknown parser %q", parser)
	return nil, nil
}

func TestParseFixtures(t *testing.T) {
	cell := exampleCatalogueCell()
	cases := loadSignalCases(t)
	listed := map[string]bool{"cases.json": true}
	for _, tc := range cases {
		listed[tc.File] = true
		t.Run(strings.TrimSuffix(tc.File, ".json"), func(t *testing.T) {
			plaintext, err := os.ReadFile(filepath.Join("testdata", "signals", tc.File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseAny(t, cell, tc.Parse, plaintext, signalTestNow)
			if tc.ErrorField == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if want := tc.Fields; !slices.Equal(got, want) && len(want)+len(got) > 0 {
					t.Fatalf("fields = %v, want %v", got, want)
				}
				return
			}
			e := wantInvalid(t, err, *tc.ErrorField)
			assertNoValueEchoed(t, plaintext, e)
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "signals"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("testdata/signals/%s is not listed in cases.json", e.Name())
		}
	}
}

// wantInvalid fails unless err is a KindInvalid *Error naming field.
func wantInvalid(t testing.TB, err error, field string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a KindInvalid *Error on %q", err, field)
	}
	if e.Kind != KindInvalid || e.Field != field {
		t.Fatalf("err = kind %d field %q (%s), want kind %d field %q", e.Kind, e.Field, e.Detail, KindInvalid, field)
	}
	if e.Detail == "" {
		t.Fatalf("err on %q has no detail", field)
	}
	return e
}

// assertNoValueEchoed fails if the refusal holds any string value of the
// plaintext (that encoding/json can read) of four bytes or more.
func assertNoValueEchoed(t testing.TB, plaintext []byte, e *Error) {
	t.Helper()
	var tree any
	if json.Unmarshal(plaintext, &tree) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strictjson.Path("", k) == "<key>" && len(k) >= 4 && (strings.Contains(e.Detail, k) || strings.Contains(e.Field, k)) {
					t.Errorf("refusal %q on %q echoes a key", e.Detail, e.Field)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if s := strings.TrimSpace(v); len(s) >= 4 && (strings.Contains(e.Detail, s) || strings.Contains(e.Field, s)) {
				t.Errorf("refusal %q on %q echoes a value", e.Detail, e.Field)
			}
		}
	}
	walk(tree)
}

func TestParseSignalValues(t *testing.T) {
	cell := exampleCatalogueCell()
	plaintext := []byte(`{
		"subject": {"national_number": " 85.07.30-033.28 ", "family_name": "  Peeters ", "given_name": "Jan", "birth_date": "1985-07-30"},
		"observed_at": "2026-11-20T10:30:00+01:00",
		"fields": {"signal_text": "  Nieuwe vrienden.\n", "school_absence_days": 12, "presence": "absent",
		           "indicators": ["isolement", " online "], "address": "Kerkstraat 1"}
	}`)
	got, err := ParseSignal(cell, plaintext, signalTestNow)
	if err != nil {
		t.Fatal(err)
	}
	want := Signal{
		Subject:    Identity{NationalNumber: "85073003328", FamilyName: "Peeters", GivenName: "Jan", BirthDate: "1985-07-30"},
		ObservedAt: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
		Fields: map[string]any{
			"signal_text": "Nieuwe vrienden.", "school_absence_days": int64(12), "presence": "absent",
			"indicators": []string{"isolement", "online"}, "address": "Kerkstraat 1",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	if got.ObservedAt.Location() != time.UTC {
		t.Errorf("observed_at not in UTC")
	}
	wantID := map[string]any{"national_number": "85073003328", "family_name": "Peeters", "given_name": "Jan", "birth_date": "1985-07-30"}
	if id := got.IdentityFields(); !reflect.DeepEqual(id, wantID) {
		t.Errorf("IdentityFields = %v, want %v", id, wantID)
	}
}

func TestIdentityFieldsOnlyPresent(t *testing.T) {
	tests := []struct {
		name string
		id   Identity
		want map[string]any
	}{
		{"national number", Identity{NationalNumber: "85073003328"}, map[string]any{"national_number": "85073003328"}},
		{"names", Identity{FamilyName: "P", GivenName: "J", BirthDate: "1985-07-30"},
			map[string]any{"family_name": "P", "given_name": "J", "birth_date": "1985-07-30"}},
		{"none", Identity{}, map[string]any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Signal{Subject: tc.id}).IdentityFields(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseLookupValues(t *testing.T) {
	cell := exampleCatalogueCell()
	tests := []struct {
		name      string
		plaintext string
		want      Identity
	}{
		{"national number", `{"subject":{"national_number":"85.07.30-033.28"}}`, Identity{NationalNumber: "85073003328"}},
		{"names", `{"subject":{"family_name":"Peeters","given_name":"Jan","birth_date":"1985-07-30"}}`,
			Identity{FamilyName: "Peeters", GivenName: "Jan", BirthDate: "1985-07-30"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLookup(cell, []byte(tc.plaintext))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseObservationValues(t *testing.T) {
	cell := exampleCatalogueCell()
	got, err := ParseObservation(cell, []byte(`{"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"present","threat_level":2}}`), signalTestNow)
	if err != nil {
		t.Fatal(err)
	}
	want := Observation{
		ObservedAt: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
		Fields:     map[string]any{"presence": "present", "threat_level": int64(2)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, tc := range loadSignalCases(f) {
		plaintext, err := os.ReadFile(filepath.Join("testdata", "signals", tc.File))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plaintext)
	}
	cell := exampleCatalogueCell()
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		sig, err := ParseSignal(cell, plaintext, signalTestNow)
		checkRefusal(t, err)
		if err == nil {
			checkAccepted(t, cell, sig.Fields)
			revalidate(t, cell, sig)
		}
		obs, err := ParseObservation(cell, plaintext, signalTestNow)
		checkRefusal(t, err)
		if err == nil {
			checkAccepted(t, cell, obs.Fields)
			for name := range obs.Fields {
				if cell.Fields[name].Class == ClassIdentity {
					t.Fatalf("observation accepted identity field %q", name)
				}
			}
		}
		id, err := ParseLookup(cell, plaintext)
		checkRefusal(t, err)
		if err == nil && id.NationalNumber == "" && (id.FamilyName == "" || id.GivenName == "" || id.BirthDate == "") {
			t.Fatalf("lookup accepted a subject that names no one: %+v", id)
		}
	})
}

// checkRefusal fails on a refusal outside what the parsers promise.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || (e.Kind != KindInvalid && e.Kind != KindTooLarge) || e.Detail == "" {
		t.Fatalf("refusal is not KindInvalid or KindTooLarge with a detail: %#v", err)
	}
}

// checkAccepted fails unless fields holds at least one catalogue field, each
// of the Go type its catalogue type promises.
func checkAccepted(t *testing.T, cell *Cell, fields map[string]any) {
	t.Helper()
	if len(fields) == 0 {
		t.Fatal("accepted without a field")
	}
	for name, v := range fields {
		spec, ok := cell.Fields[name]
		if !ok {
			t.Fatalf("accepted field %q outside the catalogue", name)
		}
		var typeOK bool
		switch v.(type) {
		case string:
			typeOK = spec.Type == FieldString || spec.Type == FieldDate || spec.Type == FieldEnum || spec.Type == FieldNationalNumber
		case int64:
			typeOK = spec.Type == FieldInteger
		case []string:
			typeOK = spec.Type == FieldList
		}
		if !typeOK {
			t.Fatalf("field %q of type %s holds a %T", name, spec.Type, v)
		}
	}
}

// revalidate writes an accepted signal back as JSON and parses it again: it
// must come back the same.
func revalidate(t *testing.T, cell *Cell, sig Signal) {
	t.Helper()
	again, err := json.Marshal(map[string]any{
		"subject":     sig.IdentityFields(),
		"observed_at": sig.ObservedAt.Format(time.RFC3339Nano),
		"fields":      sig.Fields,
	})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSignal(cell, again, signalTestNow)
	if err != nil {
		t.Fatalf("accepted signal does not re-validate: %v", err)
	}
	if !reflect.DeepEqual(back, sig) {
		t.Fatalf("re-validated signal differs:\n%#v\n%#v", back, sig)
	}
}
