package audit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// testKey returns a fresh checkpoint signer and verifier.
func testKey(t *testing.T) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func signedCP(t *testing.T, s note.Signer, origin string, size int64) (auditlog.Checkpoint, []byte) {
	t.Helper()
	cp := auditlog.Checkpoint{Origin: origin, Size: size}
	cp.Hash[0] = byte(size)
	n, err := auditlog.Sign(cp, s)
	if err != nil {
		t.Fatal(err)
	}
	return cp, n
}

// TestFileWitness records checkpoints, reopens the file, merges two
// processes' records, and refuses files it cannot trust.
func TestFileWitness(t *testing.T) {
	s, v := testKey(t)
	other, _ := testKey(t)
	const a, b = "livc-broker/audit/a", "livc-broker/audit/b"
	t.Run("recorded, kept across a reopen, mode 0600, never shrinks", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.json")
		w, err := OpenFileWitness(path, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int64{5, 9, 7} {
			cp, n := signedCP(t, s, a, size)
			if err := w.Record(cp, n); err != nil {
				t.Fatal(err)
			}
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("witness file: %v, mode %v", err, st.Mode())
		}
		w2, err := OpenFileWitness(path, v)
		if err != nil {
			t.Fatal(err)
		}
		if cp, ok := w2.Last(a); !ok || cp.Size != 9 {
			t.Fatalf("reopened: %v %+v, want size 9", ok, cp)
		}
		if _, ok := w2.Last(b); ok {
			t.Fatal("a log never recorded is in the witness")
		}
	})
	t.Run("two processes on one file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.json")
		w1, _ := OpenFileWitness(path, v)
		w2, _ := OpenFileWitness(path, v)
		cp, n := signedCP(t, s, a, 10)
		must(t, w1.Record(cp, n))
		cp, n = signedCP(t, s, b, 3)
		must(t, w2.Record(cp, n)) // must not drop w1's record of a
		w3, err := OpenFileWitness(path, v)
		if err != nil {
			t.Fatal(err)
		}
		ca, okA := w3.Last(a)
		cb, okB := w3.Last(b)
		if !okA || ca.Size != 10 || !okB || cb.Size != 3 {
			t.Fatalf("merged file: a %v %d, b %v %d", okA, ca.Size, okB, cb.Size)
		}
	})
	t.Run("another process's record counts at once", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.json")
		w1, _ := OpenFileWitness(path, v)
		w2, _ := OpenFileWitness(path, v)
		cp, n := signedCP(t, s, a, 7)
		must(t, w1.Record(cp, n))
		if got, ok := w2.Last(a); !ok || got.Size != 7 {
			t.Fatalf("the other process sees %v %d, want the checkpoint of 7 recorded meanwhile", ok, got.Size)
		}
	})
	t.Run("processes recording at once lose nothing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.json")
		const logs = 16
		notes := make([][]byte, logs)
		cps := make([]auditlog.Checkpoint, logs)
		for i := range logs {
			cps[i], notes[i] = signedCP(t, s, auditlog.Origin(fmt.Sprintf("cell%d", i)), int64(i+1))
		}
		var wg sync.WaitGroup
		for i := range logs {
			w, err := OpenFileWitness(path, v) // a process of its own, knowing nothing of the others
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				if err := w.Record(cps[i], notes[i]); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		all, err := OpenFileWitness(path, v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range logs {
			if got, ok := all.Last(cps[i].Origin); !ok || got.Size != cps[i].Size {
				t.Errorf("log %d: %v %d in the file, want %d", i, ok, got.Size, cps[i].Size)
			}
		}
	})
	for _, tc := range []struct {
		name    string
		content func() []byte
	}{
		{"not JSON", func() []byte { return []byte("size 10") }},
		{"signed with another key", func() []byte {
			_, n := signedCP(t, other, a, 10)
			return []byte(`{"` + a + `": ` + quote(n) + `}`)
		}},
		{"filed under another log", func() []byte {
			_, n := signedCP(t, s, a, 10)
			return []byte(`{"` + b + `": ` + quote(n) + `}`)
		}},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.json")
			must(t, os.WriteFile(path, tc.content(), 0o600))
			if _, err := OpenFileWitness(path, v); err == nil {
				t.Fatal("opened")
			}
		})
	}
}

// TestWitnessStopsRebuiltLog rebuilds a signed log with recomputed hashes,
// deletes its checkpoints, and gives it to a new Log (a restarted broker,
// which remembers nothing) with the witness file: it refuses to sign, and
// Verify reports ProblemWitness; without the witness it would sign.
func TestWitnessStopsRebuiltLog(t *testing.T) {
	c := redistest.OpenReal(t)
	s, v := testKey(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		witness bool
		want    string // problem kind; "" to sign and verify
	}{
		{"with the witness", true, auditlog.ProblemWitness},
		{"without it (the flaw the witness closes)", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cell := redistest.NewCell(t, c)
			path := filepath.Join(t.TempDir(), "w.json")
			witnessedLog(t, c, s, v, path, cell, 20)
			rewrite(t, c, cell, 3)
			key, _ := StreamKey(cell)
			must(t, c.Del(ctx, key+":checkpoints").Err())
			must(t, c.HDel(ctx, key+":head", "cp").Err())

			var err error
			conf := Conf{Signer: s, Verifier: v}
			if tc.witness {
				if conf.Witness, err = OpenFileWitness(path, v); err != nil {
					t.Fatal(err)
				}
			}
			restarted := NewWith(c, conf)
			_, err = restarted.Checkpoint(ctx, cell, true)
			if tc.want != "" && !errors.Is(err, errRebuilt) {
				t.Fatalf("signed the rebuilt log: %v", err)
			}
			if tc.want == "" && err != nil {
				t.Fatal(err)
			}
			rep := mustVerify(t, restarted, cell)
			switch {
			case tc.want == "" && !rep.OK:
				t.Fatalf("verify: %+v", rep.Problem)
			case tc.want != "" && (rep.OK || rep.Problem.Kind != tc.want):
				t.Fatalf("verify of the rebuilt log: ok %v %+v, want %s", rep.OK, rep.Problem, tc.want)
			}
		})
	}
}

func quote(b []byte) string {
	q, _ := json.Marshal(string(b))
	return string(q)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWitnessAheadOfReplay checks the race of a verify whose replay read
// fewer entries than a checkpoint signed meanwhile: a witness ahead of the
// replay is no problem when the log's head has reached it and it extends
// the replayed tree, and is one when the replayed entries differ from what
// it signed.
func TestWitnessAheadOfReplay(t *testing.T) {
	c, ctx := redistest.OpenReal(t), context.Background()
	s, v := testKey(t)
	cell := redistest.NewCell(t, c)
	l := witnessedLog(t, c, s, v, filepath.Join(t.TempDir(), "w.json"), cell, 10)
	key, _ := StreamKey(cell)
	origin := auditlog.Origin(cell)
	root5, err := tlog.TreeHash(5, l.reader(ctx, key))
	if err != nil {
		t.Fatal(err)
	}
	if p := l.checkWitness(ctx, key, origin, 5, root5); p != nil {
		t.Fatalf("a replay of 5 entries behind a witness of 10 the head has reached: %+v", p)
	}
	other := root5
	other[0] ^= 1
	if p := l.checkWitness(ctx, key, origin, 5, other); p == nil || p.Kind != auditlog.ProblemWitness {
		t.Fatalf("a replay of 5 other entries behind a witness of 10: %+v, want %s", p, auditlog.ProblemWitness)
	}
}

// witnessedLog returns a Log with a file witness at path, holding n entries
// of cell and a checkpoint of them recorded by the witness.
func witnessedLog(t *testing.T, c redis.UniversalClient, s note.Signer, v note.Verifier, path, cell string, n int) *Log {
	t.Helper()
	w, err := OpenFileWitness(path, v)
	if err != nil {
		t.Fatal(err)
	}
	l := NewWith(c, Conf{Signer: s, Verifier: v, Witness: w})
	appendN(t, l, cell, 0, n)
	if _, err := l.Checkpoint(context.Background(), cell, true); err != nil {
		t.Fatal(err)
	}
	return l
}
