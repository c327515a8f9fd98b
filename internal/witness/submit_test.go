package witness

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// rig is a log, two witnesses (Cosigners over HTTP) and a Submitter.
type rig struct {
	log      *memLog
	vs       []note.Verifier
	sub      *Submitter
	mu       sync.Mutex
	refused  []string
	outcomes []string
	// unaudited is how many Refused calls fail next (the audit log down).
	unaudited int
}

func newRig(t *testing.T, urls ...string) *rig {
	t.Helper()
	r := &rig{log: newMemLog(t, "cell")}
	var eps []Endpoint
	for i, name := range []string{"a.example", "b.example"} {
		s, v := newWitnessKey(t, name)
		c, err := NewCosigner(CosignerConf{Signer: s, Logs: map[string]string{r.log.origin: r.log.vkey}, State: filepath.Join(t.TempDir(), "state.json")})
		if err != nil {
			t.Fatal(err)
		}
		url := ""
		if i < len(urls) {
			url = urls[i]
		} else {
			srv := httptest.NewServer(c.Handler())
			t.Cleanup(srv.Close)
			url = srv.URL
		}
		r.vs = append(r.vs, v)
		eps = append(eps, Endpoint{Name: name, Verifier: v, Client: &Client{URL: url}})
	}
	logV, _ := note.NewVerifier(r.log.vkey)
	r.sub = NewSubmitter(SubmitterConf{Log: r.log, LogVerifier: logV, Witnesses: map[string][]Endpoint{"cell": eps},
		Timeout: 300 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Refused: func(_, w string, _ int64) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.refused = append(r.refused, w)
			if r.unaudited > 0 {
				r.unaudited--
				return errors.New("audit log down")
			}
			return nil
		},
		Outcome: func(w, o string) { r.mu.Lock(); r.outcomes = append(r.outcomes, w+":"+o); r.mu.Unlock() },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.sub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// publishQuorum publishes the log's checkpoint and waits until its note
// with the kept cosignatures meets a quorum of need.
func (r *rig) publishQuorum(t *testing.T, need int, wait time.Duration) error {
	t.Helper()
	_, signed := r.log.checkpoint(t)
	r.sub.Published("cell", signed)
	logV, _ := note.NewVerifier(r.log.vkey)
	var err error
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		lines := []string{r.log.cosignature("a.example"), r.log.cosignature("b.example")}
		withLines := signed
		for _, l := range lines {
			if l != "" {
				withLines = append(append([]byte{}, withLines...), l...)
			}
		}
		if _, err = Quorum(withLines, logV, r.vs, need); err == nil {
			return nil
		}
	}
	return err
}

// TestSubmitterCosigns: cosigned, then an extension with its proof.
func TestSubmitterCosigns(t *testing.T) {
	r := newRig(t)
	r.log.add(t, 5, "a")
	if err := r.publishQuorum(t, 2, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	r.log.add(t, 9, "a")
	if err := r.publishQuorum(t, 2, 3*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestSubmitterRebuiltLog: a rebuilt log is refused by both, alerted once each.
func TestSubmitterRebuiltLog(t *testing.T) {
	r := newRig(t)
	r.log.add(t, 5, "a")
	if err := r.publishQuorum(t, 2, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	rebuilt := newMemLog(t, "cell")
	r.log.hashes, r.log.n = rebuilt.hashes, 0
	r.log.add(t, 8, "b") // the same key, another history
	_, signed := r.log.checkpoint(t)
	r.sub.Published("cell", signed)
	waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.refused) == 2 })
	r.log.add(t, 1, "b")
	_, signed = r.log.checkpoint(t)
	r.sub.Published("cell", signed)
	time.Sleep(100 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.refused) != 2 || strings.Count(strings.Join(r.outcomes, " "), ":refused") < 4 {
		t.Fatalf("refused %v outcomes %v", r.refused, r.outcomes)
	}
}

// TestSubmitterTruncatedLog: a truncated log is refused.
func TestSubmitterTruncatedLog(t *testing.T) {
	r := newRig(t)
	r.log.add(t, 9, "a")
	if err := r.publishQuorum(t, 2, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	r.log.hashes, r.log.n = nil, 0
	r.log.add(t, 4, "a")
	_, signed := r.log.checkpoint(t)
	r.sub.Published("cell", signed)
	waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.refused) == 2 })
}

// TestSubmitterHangingWitness: a witness that never answers holds up nothing.
func TestSubmitterHangingWitness(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts, reads nothing, answers nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	r := newRig(t, "http://"+ln.Addr().String())
	r.log.add(t, 3, "a")
	start := time.Now()
	for range 100 {
		_, signed := r.log.checkpoint(t)
		r.sub.Published("cell", signed)
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Fatalf("100 publications took %v", took)
	}
	if err := r.publishQuorum(t, 1, 3*time.Second); err != nil {
		t.Fatalf("the answering witness: %v", err)
	}
	var qe *QuorumError
	if err := r.publishQuorum(t, 2, 300*time.Millisecond); !errors.As(err, &qe) || strings.Join(qe.Missing, ",") != "a.example" {
		t.Fatalf("quorum 2: %v", err)
	}
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Contains(strings.Join(r.outcomes, " "), "a.example:failed")
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestSubmitterRefusalNotAudited: a refusal whose audit entry could not be
// written is reported again at the witness's next refusal, and only until
// one is written.
func TestSubmitterRefusalNotAudited(t *testing.T) {
	r := newRig(t)
	r.log.add(t, 5, "a")
	if err := r.publishQuorum(t, 2, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.unaudited = 2
	r.mu.Unlock()
	rebuilt := newMemLog(t, "cell")
	r.log.hashes, r.log.n = rebuilt.hashes, 0
	for i, want := range []int{2, 4, 4} {
		r.log.add(t, 8, "b") // the same key, another history
		_, signed := r.log.checkpoint(t)
		r.sub.Published("cell", signed)
		waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.refused) >= want })
		time.Sleep(100 * time.Millisecond)
		r.mu.Lock()
		got := len(r.refused)
		r.mu.Unlock()
		if got != want {
			t.Fatalf("publication %d: %d refusals reported, want %d", i, got, want)
		}
	}
}
