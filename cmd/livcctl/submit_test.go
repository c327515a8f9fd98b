package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// fakeKeysBroker stands in for the broker's /v1/keys and /v1/signals: it
// publishes recipients and keeps the envelope of each signal sent.
type fakeKeysBroker struct {
	recipients []string
	envelopes  [][]byte
}

func (f *fakeKeysBroker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /v1/keys":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"recipients": f.recipients, "checkpoint_key": ""})
	case "POST /v1/signals":
		b, _ := io.ReadAll(r.Body)
		f.envelopes = append(f.envelopes, b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"sig_x"}`)
	default:
		http.NotFound(w, r)
	}
}

// stanzaTypes returns the recipient stanza types of an age envelope's
// header ("-> TYPE args…" lines, up to the "---" MAC line).
func stanzaTypes(t *testing.T, env []byte) []string {
	t.Helper()
	var r io.Reader = bytes.NewReader(env)
	if bytes.HasPrefix(env, []byte(armor.Header)) {
		r = armor.NewReader(r)
	}
	br := bufio.NewReader(r)
	if line, err := br.ReadString('\n'); err != nil || line != "age-encryption.org/v1\n" {
		t.Fatalf("not an age v1 envelope: %q %v", line, err)
	}
	var types []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("header without a MAC line: %v", err)
		}
		if strings.HasPrefix(line, "---") {
			return types
		}
		if rest, ok := strings.CutPrefix(line, "-> "); ok {
			types = append(types, strings.Fields(rest)[0])
		}
	}
}

// TestSubmitRecipient: livcctl submit encrypts to the broker's post-quantum
// hybrid recipient (an mlkem768x25519 stanza) and refuses, sending nothing,
// when the broker publishes none, unless --x25519 asks for X25519.
func TestSubmitRecipient(t *testing.T) {
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	classic, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	both := []string{classic.Recipient().String(), pq.Recipient().String()}
	for _, tc := range []struct {
		name       string
		recipients []string
		flags      []string
		stanza     string // "" when submit must fail
		identity   age.Identity
		errHas     string
	}{
		{"post-quantum by default", both, nil, "mlkem768x25519", pq, ""},
		{"post-quantum, armored", both, []string{"--armor"}, "mlkem768x25519", pq, ""},
		{"X25519 when asked", both, []string{"--x25519"}, "X25519", classic, ""},
		{"no post-quantum recipient: refused", both[:1], nil, "", nil, "--x25519"},
		{"no post-quantum recipient, X25519 asked", both[:1], []string{"--x25519"}, "X25519", classic, ""},
		{"no X25519 recipient, X25519 asked: refused", both[1:], []string{"--x25519"}, "", nil, "X25519"},
		{"no recipient at all: refused", []string{}, nil, "", nil, "post-quantum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeKeysBroker{recipients: tc.recipients}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			token := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(token, []byte("not-a-real-token\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"submit", "--broker", srv.URL, "--token-file", token}, tc.flags...)
			var out, errb bytes.Buffer
			code := Main(context.Background(), append(args, "testdata/signal.json"), strings.NewReader(""), &out, &errb)
			if tc.stanza == "" {
				if code == 0 || len(fake.envelopes) != 0 {
					t.Fatalf("exit %d with %d envelopes sent, want a refusal sending nothing", code, len(fake.envelopes))
				}
				if !strings.Contains(errb.String(), tc.errHas) {
					t.Fatalf("error %q does not mention %s", errb.String(), tc.errHas)
				}
				return
			}
			if code != 0 || len(fake.envelopes) != 1 {
				t.Fatalf("exit %d, %d envelopes: %s", code, len(fake.envelopes), errb.String())
			}
			env := fake.envelopes[0]
			if got := stanzaTypes(t, env); len(got) != 1 || got[0] != tc.stanza {
				t.Fatalf("stanzas %v, want one %s", got, tc.stanza)
			}
			checkOpens(t, env, tc.identity)
		})
	}
}

// checkOpens decrypts env with id and compares it with the submitted file.
func checkOpens(t *testing.T, env []byte, id age.Identity) {
	t.Helper()
	var r io.Reader = bytes.NewReader(env)
	if bytes.HasPrefix(env, []byte(armor.Header)) {
		r = armor.NewReader(r)
	}
	pr, err := age.Decrypt(r, id)
	if err != nil {
		t.Fatalf("the envelope does not open with the chosen recipient's identity: %v", err)
	}
	plain, err := io.ReadAll(pr)
	want, _ := os.ReadFile("testdata/signal.json")
	if err != nil || !bytes.Equal(plain, want) {
		t.Fatalf("decrypted %q, %v; want the submitted file", plain, err)
	}
}
