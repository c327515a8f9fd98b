package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

// TestSignalsShare: livcctl signals share sends the dossier under
// case_conference, --case before or after the id, and refuses to run
// without one.
func TestSignalsShare(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("LIVC-Purpose")+" "+string(body))
		if r.Method == "POST" && r.URL.Path == "/v1/signals/sig_a/shares" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":"sig_a","case_id":"case_b"}`))
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"status":404,"title":"Not Found","detail":"no such subject or case for this requester and purpose"}`))
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	tests := []struct {
		name  string
		args  []string
		seen  []string
		fails bool
	}{
		{"--case after the id", append(append([]string{"signals", "share"}, conn...), "sig_a", "--case", "case_b"),
			[]string{`POST /v1/signals/sig_a/shares case_conference {"case_id":"case_b"}`}, false},
		{"--case before the id", append(append([]string{"signals", "share", "--case", "case_b"}, conn...), "sig_a"),
			[]string{`POST /v1/signals/sig_a/shares case_conference {"case_id":"case_b"}`}, false},
		{"another's signal", append(append([]string{"signals", "share", "--case", "case_b"}, conn...), "sig_z"),
			[]string{`POST /v1/signals/sig_z/shares case_conference {"case_id":"case_b"}`}, true},
		{"without --case", append([]string{"signals", "share", "sig_a"}, conn...), nil, true},
		{"without an id", append([]string{"signals", "share", "--case", "case_b"}, conn...), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			code, out, errs := run(t, tc.args...)
			if (code != 0) != tc.fails {
				t.Fatalf("exit %d, want failure %v: %s %s", code, tc.fails, out, errs)
			}
			if len(seen) != len(tc.seen) {
				t.Fatalf("requests %q, want %q", seen, tc.seen)
			}
			for i := range seen {
				if seen[i] != tc.seen[i] {
					t.Errorf("request %d: %q, want %q", i, seen[i], tc.seen[i])
				}
			}
		})
	}
}

// TestSignalsCorrect: livcctl signals correct encrypts the file to the
// broker's post-quantum recipient and posts it, under signal, to the
// signal's correction; -q prints the new id only; it refuses to run
// without the id and the file.
func TestSignalsCorrect(t *testing.T) {
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("LIVC-Purpose"))
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/keys":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"recipients": []string{pq.Recipient().String()}, "checkpoint_key": ""})
		case "POST /v1/signals/sig_a/correction":
			got, _ = io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"sig_b"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	file := filepath.Join(t.TempDir(), "signal.json")
	plain := `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"present"}}`
	if err := os.WriteFile(file, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errs := run(t, append(append([]string{"signals", "correct", "-q"}, conn...), "sig_a", file)...)
	if code != 0 || out != "sig_b\n" {
		t.Fatalf("exit %d, out %q %s", code, out, errs)
	}
	if len(seen) != 2 || seen[1] != "POST /v1/signals/sig_a/correction signal" {
		t.Fatalf("requests %q", seen)
	}
	r, err := age.Decrypt(bytes.NewReader(got), pq)
	if err != nil {
		t.Fatalf("the body is not an envelope to the broker: %v", err)
	}
	if b, _ := io.ReadAll(r); string(b) != plain {
		t.Fatalf("the envelope holds %q", b)
	}
	for _, args := range [][]string{{"signals", "correct", "sig_a"}, {"signals", "correct"}} {
		seen = nil
		if code, _, _ := run(t, append(args, conn...)...); code == 0 || len(seen) != 0 {
			t.Errorf("%v: exit %d after %q, want a usage error and no request", args, code, seen)
		}
	}
}
