package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestCasesTake: livcctl cases take ID SIGNAL... posts the signal ids to
// the dossier under case_conference and prints the dossier; it refuses to
// run without a signal, and a refusal of the broker is a failure.
func TestCasesTake(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("LIVC-Purpose")+" "+string(body))
		if r.Method == "POST" && r.URL.Path == "/v1/cases/case_a/signals" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"case_a","subject_ref":"s_a","category":"radicalisation","state":"formation","roster":["pz"],"tasks":[],"history":[]}`))
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"status":422,"title":"Unprocessable Entity","detail":"signal_ids: signal_ids[0] is not a received signal"}`))
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	tests := []struct {
		name  string
		args  []string
		out   string
		seen  []string
		fails bool
	}{
		{"two signals", append(append([]string{"cases", "take"}, conn...), "case_a", "sig_a", "sig_b"), `"case_a"`,
			[]string{`POST /v1/cases/case_a/signals case_conference {"signal_ids":["sig_a","sig_b"]}`}, false},
		{"refused by the broker", append(append([]string{"cases", "take"}, conn...), "case_b", "sig_a"), "",
			[]string{`POST /v1/cases/case_b/signals case_conference {"signal_ids":["sig_a"]}`}, true},
		{"without a signal", append(append([]string{"cases", "take"}, conn...), "case_a"), "", nil, true},
		{"without anything", append([]string{"cases", "take"}, conn...), "", nil, true},
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
}
