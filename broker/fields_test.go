package broker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// signalWith returns a signal naming the person by national number with
// fields as written (raw JSON).
func signalWith(fields string) []byte {
	return []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":` + fields + `}`)
}

func TestParseSignalLimits(t *testing.T) {
	cell := exampleCatalogueCell()
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	tests := []struct {
		name      string
		plaintext []byte
		field     string // "" with ok
		ok        bool
	}{
		{"string at max in multibyte characters", signalWith(`{"signal_text":` + quoted(strings.Repeat("€", 4000)) + `}`), "", true},
		{"string over max by one character", signalWith(`{"signal_text":` + quoted(strings.Repeat("€", 4001)) + `}`), "fields.signal_text", false},
		{"string at max in escaped astral characters", signalWith(`{"signal_text":"` + strings.Repeat(`\ud83d\ude00`, 4000) + `"}`), "", true},
		{"huge string", signalWith(`{"signal_text":` + quoted(strings.Repeat("a", 900_000)) + `}`), "fields.signal_text", false},
		{"huge list item", signalWith(`{"indicators":[` + quoted(strings.Repeat("a", 900_000)) + `]}`), "fields.indicators[0]", false},
		{"list item at max", signalWith(`{"indicators":[` + quoted(strings.Repeat("ü", 200)) + `]}`), "", true},
		{"invalid UTF-8 in a value", signalWith("{\"signal_text\":\"a\xffb\"}"), "fields.signal_text", false},
		{"overlong UTF-8", signalWith("{\"signal_text\":\"\xc0\xaf\"}"), "fields.signal_text", false},
		{"UTF-8 encoded surrogate", signalWith("{\"signal_text\":\"\xed\xa0\x80\"}"), "fields.signal_text", false},
		{"C1 control character", signalWith(`{"signal_text":"a\u0085b"}`), "fields.signal_text", false},
		{"DEL", signalWith(`{"signal_text":"a\u007fb"}`), "fields.signal_text", false},
		{"raw newline in a string", signalWith("{\"signal_text\":\"a\nb\"}"), "fields.signal_text", false},
		{"integer max int64 over range", signalWith(`{"threat_level":9223372036854775807}`), "fields.threat_level", false},
		{"integer minus zero", signalWith(`{"threat_level":-0}`), "", true},
		{"integer leading zero", signalWith(`{"threat_level":01}`), "fields.threat_level", false},
		{"integer with plus", signalWith(`{"threat_level":+1}`), "fields.threat_level", false},
		{"integer 1E0", signalWith(`{"threat_level":1E0}`), "fields.threat_level", false},
		{"integer 4.0e0", signalWith(`{"threat_level":4.0e0}`), "fields.threat_level", false},
		{"depth 4 reaches the type check", signalWith(`{"indicators":[["a"]]}`), "fields.indicators[0]", false},
		{"depth 5 is refused", signalWith(`{"indicators":[[["a"]]]}`), "fields.indicators[0][0]", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSignal(cell, tc.plaintext, signalTestNow)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantInvalid(t, err, tc.field)
		})
	}
}

func TestParseSignalTooLarge(t *testing.T) {
	cell := exampleCatalogueCell()
	pad := strings.Repeat(" ", MaxEnvelopeJSONBytes)
	_, err := ParseSignal(cell, signalWith(`{"presence":"absent"}`+pad), signalTestNow)
	if KindOf(err) != KindTooLarge {
		t.Fatalf("err = %v, want KindTooLarge", err)
	}
	fits := signalWith(`{"presence":"absent"}`)
	fits = append(fits, pad[:MaxEnvelopeJSONBytes-len(fits)]...)
	if _, err := ParseSignal(cell, fits, signalTestNow); err != nil {
		t.Fatalf("a plaintext of exactly the limit: %v", err)
	}
}

func TestParseSignalDates(t *testing.T) {
	cell := exampleCatalogueCell()
	withBirth := func(d string) []byte {
		return []byte(`{"subject":{"family_name":"Peeters","given_name":"Jan","birth_date":"` + d + `"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)
	}
	tests := []struct {
		name string
		date string
		now  time.Time
		ok   bool
	}{
		{"ordinary", "1985-07-30", signalTestNow, true},
		{"leap day", "2004-02-29", signalTestNow, true},
		{"not a leap year", "2005-02-29", signalTestNow, false},
		{"month 13", "1985-13-01", signalTestNow, false},
		{"day 00", "1985-07-00", signalTestNow, false},
		{"single-digit month", "1985-7-30", signalTestNow, false},
		{"1900-01-01", "1900-01-01", signalTestNow, true},
		{"today", "2026-11-20", signalTestNow, true},
		// At 23:30 UTC it is already the next day east of UTC+1.
		{"tomorrow in UTC, today in Brussels", "2026-11-21", time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC), true},
		{"tomorrow everywhere", "2026-11-22", signalTestNow, false},
		{"far future", "2999-01-01", signalTestNow, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSignal(cell, withBirth(tc.date), tc.now)
			if !tc.ok {
				wantInvalid(t, err, "subject.birth_date")
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if s.Subject.BirthDate != tc.date {
				t.Fatalf("birth_date = %q", s.Subject.BirthDate)
			}
		})
	}
}

// A catalogue that omits the subject's names still has them checked, with
// the built-in bounds; one that declares them sets the max.
func TestSubjectSpecsFromCatalogue(t *testing.T) {
	long := strings.Repeat("a", 150)
	plaintext := []byte(`{"subject":{"family_name":"` + long + `","given_name":"Jan","birth_date":"1985-07-30"}}`)

	declared := exampleCatalogueCell() // family_name max 100
	_, err := ParseLookup(declared, plaintext)
	wantInvalid(t, err, "subject.family_name")

	bare := exampleCatalogueCell()
	for _, k := range []string{"family_name", "given_name", "birth_date", "national_number"} {
		delete(bare.Fields, k)
	}
	if _, err := ParseLookup(bare, plaintext); err != nil {
		t.Fatalf("built-in max: %v", err)
	}
	tooLong := []byte(`{"subject":{"family_name":"` + strings.Repeat("a", 201) + `","given_name":"Jan","birth_date":"1985-07-30"}}`)
	_, err = ParseLookup(bare, tooLong)
	wantInvalid(t, err, "subject.family_name")
	_, err = ParseLookup(bare, []byte(`{"subject":{"national_number":"85073003329"}}`))
	wantInvalid(t, err, "subject.national_number")
}
