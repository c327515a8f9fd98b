package witness

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// post sends body to the cosigner's handler.
func post(c *Cosigner, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/add-checkpoint", bytes.NewReader(body)))
	return rec
}

func newCosigner(t *testing.T, l *memLog, state string) (*Cosigner, *auditlog.CosignatureVerifier) {
	t.Helper()
	s, v := newWitnessKey(t, "w.example")
	c, err := NewCosigner(CosignerConf{Signer: s, Logs: map[string]string{l.origin: l.vkey}, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return c, v
}

// TestCosigner drives one witness through the answers of tlog-witness.
func TestCosigner(t *testing.T) {
	l := newMemLog(t, "cell")
	state := filepath.Join(t.TempDir(), "state.json")
	c, v := newCosigner(t, l, state)
	first, second, rebuilt, foreign, unknownCP, forked, badProof := logsFor(t, l)

	for _, tc := range []struct {
		name   string
		body   AddCheckpoint
		status int
		size   string // the 409 body
	}{
		{"first checkpoint, old 0", AddCheckpoint{Old: 0, Checkpoint: first}, 200, ""},
		{"again, old 0: 409 with the size", AddCheckpoint{Old: 0, Checkpoint: second}, 409, "10\n"},
		{"a bad proof: 422", AddCheckpoint{Old: 10, Proof: badProof, Checkpoint: second}, 422, ""},
		{"signed by another key: 403", AddCheckpoint{Old: 10, Checkpoint: foreign}, 403, ""},
		{"an unknown log: 404", AddCheckpoint{Old: 0, Checkpoint: unknownCP}, 404, ""},
		{"not a body: 400", AddCheckpoint{}, 400, ""},
		{"the extension, with its proof", AddCheckpoint{Old: 10, Proof: l.proof(t, 10), Checkpoint: second}, 200, ""},
		{"the same again", AddCheckpoint{Old: 17, Checkpoint: second}, 200, ""},
		{"a rebuilt log, its own proof: 422", AddCheckpoint{Old: 17, Proof: proveFrom(t, forked, 17), Checkpoint: rebuilt}, 422, ""},
		{"an older size: 409", AddCheckpoint{Old: 10, Proof: l.proof(t, 10), Checkpoint: second}, 409, "17\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body.Marshal()
			if tc.body.Checkpoint == nil {
				body = []byte("old x\n\n")
			}
			rec := post(c, body)
			if rec.Code != tc.status {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tc.status)
			}
			switch tc.status {
			case 200:
				n, err := note.Open(append(append([]byte{}, tc.body.Checkpoint...), rec.Body.Bytes()...), note.VerifierList(v))
				if err != nil || len(n.Sigs) != 1 {
					t.Fatalf("the answer is not a cosignature of the checkpoint: %v %q", err, rec.Body)
				}
			case 409:
				if rec.Body.String() != tc.size || rec.Header().Get("Content-Type") != SizeMediaType {
					t.Fatalf("409 body %q (%s), want %q", rec.Body, rec.Header().Get("Content-Type"), tc.size)
				}
			}
		})
	}
	t.Run("a restarted witness remembers", func(t *testing.T) {
		again, err := NewCosigner(CosignerConf{Signer: c.conf.Signer, Logs: c.conf.Logs, State: state})
		if err != nil {
			t.Fatal(err)
		}
		if rec := post(again, AddCheckpoint{Old: 0, Checkpoint: rebuilt}.Marshal()); rec.Code != 409 || rec.Body.String() != "17\n" {
			t.Fatalf("status %d %q, want 409 17", rec.Code, rec.Body)
		}
		fi, err := os.Stat(state)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("state file: %v %v", fi, err)
		}
	})
	t.Run("a state of another key is refused", func(t *testing.T) {
		_, err := NewCosigner(CosignerConf{Signer: c.conf.Signer, Logs: map[string]string{l.origin: newMemLog(t, "cell").vkey}, State: state})
		if err == nil || !strings.Contains(err.Error(), "another key") {
			t.Fatalf("err %v", err)
		}
	})
}

// logsFor grows l to 10 entries (first, signed) and 17 (second), and
// makes what a witness must refuse: a rebuilt log under l's key (forked,
// 20 other entries), a checkpoint of 17 under another key (foreign), one
// of another log (unknownCP), and a corrupt proof from 10 to 17.
func logsFor(t *testing.T, l *memLog) (first, second, rebuilt, foreign, unknownCP []byte, forked *memLog, badProof []tlog.Hash) {
	l.add(t, 10, "a")
	_, first = l.checkpoint(t)
	l.add(t, 7, "a")
	_, second = l.checkpoint(t)
	forked = newMemLog(t, "cell")
	forked.signer, forked.vkey = l.signer, l.vkey // the log's own key: a rebuilt log
	forked.add(t, 17, "b")
	forked.add(t, 3, "b")
	_, rebuilt = forked.checkpoint(t)
	other := newMemLog(t, "cell") // another key
	other.add(t, 17, "a")
	_, foreign = other.checkpoint(t)
	unknown := newMemLog(t, "elsewhere")
	unknown.signer, unknown.vkey = l.signer, l.vkey
	unknown.add(t, 3, "a")
	_, unknownCP = unknown.checkpoint(t)
	badProof = l.proof(t, 10)
	badProof[0][0] ^= 1
	return
}

// proveFrom is the proof l's tree extends its tree of size old.
func proveFrom(t *testing.T, l *memLog, old int64) []tlog.Hash { return l.proof(t, old) }

// TestCosignerStateUnwritable: a witness that cannot record what it
// cosigns gives no cosignature.
func TestCosignerStateUnwritable(t *testing.T) {
	l := newMemLog(t, "cell")
	dir := t.TempDir()
	c, _ := newCosigner(t, l, filepath.Join(dir, "missing-dir", "state.json"))
	l.add(t, 3, "a")
	_, cp := l.checkpoint(t)
	if rec := post(c, AddCheckpoint{Checkpoint: cp}.Marshal()); rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if rec := post(c, AddCheckpoint{Old: 3, Checkpoint: cp}.Marshal()); rec.Code != 409 {
		t.Fatalf("a cosignature not recorded was remembered: %d", rec.Code)
	}
}

// TestCosignerOversizedBody: a body over MaxBody is refused with 400 and
// moves nothing, even when it begins as a valid submission.
func TestCosignerOversizedBody(t *testing.T) {
	l := newMemLog(t, "cell")
	c, _ := newCosigner(t, l, filepath.Join(t.TempDir(), "state.json"))
	l.add(t, 3, "a")
	_, cp := l.checkpoint(t)
	big := append(AddCheckpoint{Checkpoint: cp}.Marshal(), bytes.Repeat([]byte("x"), MaxBody)...)
	if rec := post(c, big); rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", rec.Code)
	}
	if rec := post(c, AddCheckpoint{Old: 3, Checkpoint: cp}.Marshal()); rec.Code != http.StatusConflict || rec.Body.String() != "0\n" {
		t.Fatalf("the oversized body moved the witness: %d %q", rec.Code, rec.Body)
	}
}
