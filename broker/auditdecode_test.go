package broker

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const goodEntry = `{"id":"aud_aaaaaaaaaaaaaaaaaaaaaaaaaa","time":"2026-11-20T09:30:00Z","request_id":"req_x","livc":"zonnedaal","actor":"pz","sub":"pz-person","action":"card.read","purpose":"case_conference","subject_ref":"s_aaaaaaaaaaaaaaaaaaaaaaaaaa","case_id":"","decision":"allow","released":["presence"],"withheld":null,"policy_revision":"abc","reason":"","index":3,"leaf_hash":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}`

func TestParseAuditEntry(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantField string // "" with ok
		ok        bool
	}{
		{"ok", goodEntry, "", true},
		{"ok without leaf hash", strings.Replace(goodEntry, `,"leaf_hash":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"`, "", 1), "", true},
		{"unknown key", strings.Replace(goodEntry, `"index":3`, `"index":3,"value":"x"`, 1), "", false},
		{"duplicate key", strings.Replace(goodEntry, `"index":3`, `"index":3,"index":4`, 1), "index", false},
		{"wrong type", strings.Replace(goodEntry, `"index":3`, `"index":"3"`, 1), "index", false},
		{"bad id", strings.Replace(goodEntry, `aud_aaaa`, `sig_aaaa`, 1), "id", false},
		{"bad decision", strings.Replace(goodEntry, `"decision":"allow"`, `"decision":"maybe"`, 1), "decision", false},
		{"negative index", strings.Replace(goodEntry, `"index":3`, `"index":-1`, 1), "index", false},
		{"bad leaf", strings.Replace(goodEntry, `0123456789abcdef0123`, `0123456789ABCDEF0123`, 1), "leaf_hash", false},
		{"no time", strings.Replace(goodEntry, `"time":"2026-11-20T09:30:00Z",`, "", 1), "time", false},
		{"no action", strings.Replace(goodEntry, `"action":"card.read"`, `"action":""`, 1), "action", false},
		{"nested too deep", strings.Replace(goodEntry, `"released":["presence"]`, `"released":[["presence"]]`, 1), "released[0]", false},
		{"trailing data", goodEntry + "{}", "", false},
		{"not an object", `[]`, "", false},
		{"too large", `{"reason":"` + strings.Repeat("a", MaxAuditEntryBytes) + `"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseAuditEntry([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if k := KindOf(err); k != KindInvalid && k != KindTooLarge {
					t.Fatalf("kind %v: %v", k, err)
				}
				if tt.wantField != "" && err.(*Error).Field != tt.wantField {
					t.Fatalf("field %q, want %q", err.(*Error).Field, tt.wantField)
				}
				if !reflect.DeepEqual(e, AuditEntry{}) {
					t.Fatalf("partly filled entry with an error: %+v", e)
				}
			}
		})
	}
}

// FuzzParseAuditEntry checks that ParseAuditEntry never panics, and that
// what it accepts survives a round trip through encoding/json unchanged.
func FuzzParseAuditEntry(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseAuditEntry (entries as the broker
	// writes them, and broken ones).
	f.Add([]byte(goodEntry))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseAuditEntry(data)
		if err != nil {
			if k := KindOf(err); k != KindInvalid && k != KindTooLarge {
				t.Fatalf("kind %v: %v", k, err)
			}
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseAuditEntry(again)
		if err != nil {
			t.Fatalf("accepted entry does not round-trip: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(e.Time.UTC(), e2.Time.UTC()) {
			t.Fatalf("time changed: %v -> %v", e.Time, e2.Time)
		}
		e.Time, e2.Time = e.Time.UTC(), e2.Time.UTC()
		if !reflect.DeepEqual(normal(e), normal(e2)) {
			t.Fatalf("round trip changed the entry:\n%+v\n%+v", e, e2)
		}
	})
}

// normal makes empty and nil lists alike, as JSON does not tell them apart
// after a round trip through omitempty-free fields.
func normal(e AuditEntry) AuditEntry {
	if len(e.Released) == 0 {
		e.Released = nil
	}
	if len(e.Withheld) == 0 {
		e.Withheld = nil
	}
	return e
}
