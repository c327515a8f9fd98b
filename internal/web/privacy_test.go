package web

import (
	"encoding/csv"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

func TestCSVSafe(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "card.read", "card.read"},
		{"formula", "=1+2", "'=1+2"},
		{"plus", "+32 2 123", "'+32 2 123"},
		{"minus", "-1", "'-1"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab first", "\t=1", "'\t=1"},
		{"carriage return first", "\r=1", "'\r=1"},
		{"formula later", "a=1", "a=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := csvSafe(tc.in); got != tc.want {
				t.Fatalf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestAuditCSVBody: a header row and one row per entry, every cell a
// spreadsheet would run defused, a comma or quote in a value kept in one
// cell, times in Brussels.
func TestAuditCSVBody(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	items := []broker.AuditEntry{
		{ID: "aud_1", Index: 7, Time: at, Actor: "pz", Sub: "=HYPERLINK(\"x\")", Action: "card.read", Purpose: "case_conference",
			Decision: "allow", SubjectRef: "s_a", Released: []string{"national_number", "presence"}, Withheld: []string{"health_note"},
			PolicyRevision: "abc", Reason: "drew on records, \"two\"", RequestID: "req_1"},
		{ID: "aud_2", Time: at, Actor: "dpo", Sub: "@me", Action: "audit.read", Decision: "deny", Reason: "-"},
	}
	b, err := auditCSVBody(items, tr.brussel)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("rows %q", rows)
	}
	want := [][]string{
		{"aud_1", "7", "2026-12-04T10:00:00+01:00", "pz", `'=HYPERLINK("x")`, "card.read", "case_conference", "allow",
			"s_a", "", "national_number presence", "health_note", "abc", `drew on records, "two"`, "req_1"},
		{"aud_2", "0", "2026-12-04T10:00:00+01:00", "dpo", "'@me", "audit.read", "", "deny", "", "", "", "", "", "'-", ""},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}
}

// TestAuditFilterQuery: the period's dates are Brussels days, "to"
// included; a date or limit that is not one is refused naming it.
func TestAuditFilterQuery(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		f        auditFilter
		from, to string // RFC 3339 in UTC, "" for none
		limit    int
		field    string // the refused field
	}{
		{"none", auditFilter{}, "", "", auditPageSize, ""},
		{"winter day", auditFilter{From: "2026-12-04", To: "2026-12-04"}, "2026-12-03T23:00:00Z", "2026-12-04T23:00:00Z", auditPageSize, ""},
		{"summer day", auditFilter{From: "2026-07-01", To: "2026-07-02"}, "2026-06-30T22:00:00Z", "2026-07-02T22:00:00Z", auditPageSize, ""},
		{"limit", auditFilter{Limit: "2"}, "", "", 2, ""},
		{"bad from", auditFilter{From: "04/12/2026"}, "", "", 0, "from"},
		{"bad to", auditFilter{To: "2026-13-01"}, "", "", 0, "to"},
		{"bad limit", auditFilter{Limit: "0"}, "", "", 0, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := tc.f.query(tr.brussel, "c")
			if tc.field != "" {
				var be *broker.Error
				if err == nil || !errors.As(err, &be) || be.Field != tc.field {
					t.Fatalf("error %v, want one naming %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stamp := func(x time.Time) string {
				if x.IsZero() {
					return ""
				}
				return x.UTC().Format(time.RFC3339)
			}
			if stamp(q.From) != tc.from || stamp(q.To) != tc.to || q.Limit != tc.limit || !q.Descending || q.Cursor != "c" {
				t.Fatalf("query %+v", q)
			}
		})
	}
}

func TestAuditFilterHref(t *testing.T) {
	f := auditFilter{SubjectRef: "s_a", Action: "card.read"}
	for _, tc := range []struct{ name, path, cursor, want string }{
		{"export", "/privacy/audit.csv", "", "/privacy/audit.csv?action=card.read&subject_ref=s_a"},
		{"next page", "/privacy/audit", "x+y", "/privacy/audit?action=card.read&subject_ref=s_a&cursor=x%2By"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.Href(tc.path, tc.cursor); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	if got := (auditFilter{}).Href("/privacy/audit", ""); got != "/privacy/audit" {
		t.Fatalf("no filter: %s", got)
	}
}

// FuzzAuditFilter: any query of the log page gives a query for the broker
// or a refusal naming its field, never a panic; a period that is accepted
// runs forward; the filter's links carry it unchanged.
func FuzzAuditFilter(f *testing.F) {
	f.Add("subject_ref=s_a&from=2026-12-01&to=2026-12-04&limit=2")
	f.Add("actor=pz&action=card.read&decision=deny")
	f.Add("from=2026-02-30&to=%zz&limit=-1")
	f.Add("sub=%3D1%2B2&case_id=case_x&cursor=abc")
	tr, err := newTranslator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt := filterOf(v)
		q, err := flt.query(tr.brussel, "")
		var be *broker.Error
		if err != nil && (!errors.As(err, &be) || be.Field == "") {
			t.Fatalf("refusal %v names no field", err)
		}
		if err == nil && !q.From.IsZero() && !q.To.IsZero() && flt.From == flt.To && !q.To.After(q.From) {
			t.Fatalf("the day %s runs from %v to %v", flt.From, q.From, q.To)
		}
		back, err := url.Parse(flt.Href("/privacy/audit", "c"))
		if err != nil {
			t.Fatal(err)
		}
		if got := filterOf(back.Query()); got != flt || back.Query().Get("cursor") != "c" {
			t.Fatalf("the link carries %+v, want %+v", got, flt)
		}
	})
}
