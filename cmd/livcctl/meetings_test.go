package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestMeetingsAndRetention: livcctl cases meetings add posts the minutes
// under case_conference, cases meetings list and retention read every page;
// a malformed --decision or a missing dossier is a usage error.
func TestMeetingsAndRetention(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("LIVC-Purpose")+" "+string(body))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/cases/case_a/meetings":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":"meet_a","held_at":"2026-11-20T09:30:00Z","attendees":["pz"],"decisions":[],"recorded_by":"preventie","recorded_at":"2026-11-20T10:00:00Z"}`))
		case r.URL.Path == "/v1/cases/case_a/meetings":
			w.Write([]byte(`{"items":[{"id":"meet_a","held_at":"2026-11-20T09:30:00Z","attendees":["ocmw","pz"],"decisions":[{"text":"t","actor":"pz","due":"2026-12-31"}],"recorded_by":"preventie","recorded_at":"2026-11-20T10:00:00Z"}]}`))
		case r.URL.Path == "/v1/cases/case_a/review":
			w.Write([]byte(`{"id":"case_a","reviewed_at":"2026-11-20T10:00:00Z","expires_at":"2029-11-19T10:00:00Z"}`))
		case r.URL.Path == "/v1/retention":
			w.Write([]byte(`{"items":[{"kind":"signal","id":"sig_a","expires_at":"2027-05-19T09:30:00Z"}]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	with := func(args ...string) []string { return append(args[:len(args):len(args)], conn...) }
	tests := []struct {
		name  string
		args  []string
		out   string
		seen  []string
		fails bool
	}{
		{"add", append(with("cases", "meetings", "add", "--held-at", "2026-11-20T09:30:00Z", "--attendees", "ocmw,pz", "--decision", "pz:2026-12-31:home visit"), "case_a"), `"meet_a"`,
			[]string{`POST /v1/cases/case_a/meetings case_conference {"held_at":"2026-11-20T09:30:00Z","attendees":["ocmw","pz"],"decisions":[{"text":"home visit","actor":"pz","due":"2026-12-31"}]}`}, false},
		{"list quietly", append(with("cases", "meetings", "list", "-q"), "case_a"), "meet_a 2026-11-20T09:30:00Z ocmw,pz 1",
			[]string{`GET /v1/cases/case_a/meetings?limit=1000 case_conference `}, false},
		{"retention", with("retention", "--days", "200", "-q"), "signal sig_a 2027-05-19",
			[]string{`GET /v1/retention?days=200&limit=1000 case_conference `}, false},
		{"review", append(with("cases", "review", "--reason", "still a concern"), "case_a"), `"2029-11-19T10:00:00Z"`,
			[]string{`POST /v1/cases/case_a/review case_conference {"reason":"still a concern"}`}, false},
		{"review without a reason", append(with("cases", "review"), "case_a"), "", nil, true},
		{"a decision without its parts", append(with("cases", "meetings", "add", "--attendees", "pz", "--decision", "pz"), "case_a"), "", nil, true},
		{"no dossier", with("cases", "meetings", "list"), "", nil, true},
		{"refused by the broker", append(with("cases", "meetings", "list"), "case_b"), "", []string{`GET /v1/cases/case_b/meetings?limit=1000 case_conference `}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			code, out, errs := run(t, tc.args...)
			if tc.fails != (code != 0) {
				t.Fatalf("exit %d: %s %s", code, out, errs)
			}
			if !strings.Contains(out, tc.out) {
				t.Fatalf("out %q, want it to hold %q", out, tc.out)
			}
			if !slices.Equal(seen, tc.seen) {
				t.Fatalf("requests %q, want %q", seen, tc.seen)
			}
		})
	}
	if code, out, _ := run(t, "cases", "meetings", "-h"); code != 0 || !strings.Contains(out, "add ") {
		t.Fatalf("cases meetings -h: %d %s", code, out)
	}
}
