package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignals: livcctl signals reads every page of the intake under
// case_conference, passes --state on, and prints the entries, one line each
// with -q, or only the one --signal names.
func TestSignals(t *testing.T) {
	pages := map[string]string{
		"":  `{"items":[{"id":"sig_b","subject_ref":"s_2","source":"clb","received_at":"2026-11-22T08:15:00Z","observed_at":"2026-11-22T08:15:00Z","state":"held"}],"next_cursor":"7"}`,
		"7": `{"items":[{"id":"sig_a","subject_ref":"s_1","source":"ocmw","received_at":"2026-11-20T09:30:00Z","observed_at":"2026-11-20T09:30:00Z","state":"in_dossier","case_id":"case_x"}]}`,
	}
	var states []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.Path != "/v1/signals" || r.Header.Get("LIVC-Purpose") != "case_conference" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		states = append(states, r.URL.Query().Get("state"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(pages[r.URL.Query().Get("cursor")]))
	}))
	defer srv.Close()
	base := append([]string{"signals"}, brokerFlags(t, srv.URL)...)
	tests := []struct {
		name  string
		args  []string
		want  string
		state string
		fails bool
	}{
		{"every page, one line each", []string{"-q"}, "sig_b s_2 held\nsig_a s_1 in_dossier\n", "", false},
		{"one signal", []string{"-q", "--signal", "sig_a"}, "sig_a s_1 in_dossier\n", "", false},
		{"a state", []string{"-q", "--state", "held"}, "sig_b s_2 held\nsig_a s_1 in_dossier\n", "held", false},
		{"a signal not in the intake", []string{"--signal", "sig_z"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			states = nil
			code, out, errs := run(t, append(base, tc.args...)...)
			if tc.fails {
				if code == 0 {
					t.Fatalf("exit 0: %s", out)
				}
				return
			}
			if code != 0 || out != tc.want {
				t.Fatalf("exit %d, out %q, want %q (%s)", code, out, tc.want, errs)
			}
			if len(states) != 2 || states[0] != tc.state || states[1] != tc.state {
				t.Fatalf("state asked %q, want %q on both pages", states, tc.state)
			}
		})
	}
	t.Run("JSON", func(t *testing.T) {
		code, out, errs := run(t, base...)
		var page struct{ Items []map[string]any }
		if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Items) != 2 || !strings.Contains(out, `"case_x"`) {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
	})
}
