package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSignalsFeedback: livcctl signals mine reads every page of the
// caller's signals under signal; withdraw sends DELETE under signal; dismiss
// sends the reason under case_conference, --reason before or after the id,
// and refuses to run without one.
func TestSignalsFeedback(t *testing.T) {
	mine := map[string]string{
		"":  `{"items":[{"id":"sig_b","received_at":"2026-11-22T08:15:00Z","state":"received"}],"next_cursor":"7"}`,
		"7": `{"items":[{"id":"sig_a","received_at":"2026-11-20T09:30:00Z","state":"withdrawn"}]}`,
	}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("LIVC-Purpose")+" "+string(body))
		switch {
		case r.Method == "GET" && r.URL.Path == "/v1/signals/mine":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(mine[r.URL.Query().Get("cursor")]))
		case r.Method == "DELETE" && r.URL.Path == "/v1/signals/sig_a":
			w.WriteHeader(http.StatusNoContent)
		case r.Method == "POST" && r.URL.Path == "/v1/signals/sig_b/dismissal":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"sig_b","state":"dismissed"}`))
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"status":404,"title":"Not Found","detail":"no such subject or case for this requester and purpose"}`))
		}
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
		{"mine, every page", append([]string{"signals", "mine", "-q"}, conn...), "sig_b received\nsig_a withdrawn\n",
			[]string{"GET /v1/signals/mine signal ", "GET /v1/signals/mine signal "}, false},
		{"withdraw", append([]string{"signals", "withdraw", "sig_a"}, conn...), "sig_a withdrawn\n",
			[]string{"DELETE /v1/signals/sig_a signal "}, false},
		{"withdraw an unknown id", append([]string{"signals", "withdraw", "sig_z"}, conn...), "",
			[]string{"DELETE /v1/signals/sig_z signal "}, true},
		{"dismiss, reason after the id", append(append([]string{"signals", "dismiss"}, conn...), "sig_b", "--reason", "no follow-up"), "",
			[]string{`POST /v1/signals/sig_b/dismissal case_conference {"reason":"no follow-up"}`}, false},
		{"dismiss without a reason", append([]string{"signals", "dismiss", "sig_b"}, conn...), "", nil, true},
		{"withdraw without an id", append([]string{"signals", "withdraw"}, conn...), "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			code, out, errs := run(t, tc.args...)
			if tc.fails != (code != 0) {
				t.Fatalf("exit %d: %s %s", code, out, errs)
			}
			if tc.out != "" && out != tc.out {
				t.Fatalf("out %q, want %q", out, tc.out)
			}
			if len(seen) != len(tc.seen) {
				t.Fatalf("requests %q, want %q", seen, tc.seen)
			}
			for i := range seen {
				if seen[i] != tc.seen[i] {
					t.Fatalf("requests %q, want %q", seen, tc.seen)
				}
			}
		})
	}
}
