package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Outside witnesses (C2SP tlog-witness), end to end: the real broker with a
// cell whose configuration names two witnesses, each a `livcctl witness
// serve` process with its own key and state file.

// witnessProc is a running `livcctl witness serve`.
type witnessProc struct {
	name, vkey     string
	addr           string
	keyFile, state string
	cmd            *exec.Cmd
	mu             sync.Mutex
	logs           bytes.Buffer
}

func (w *witnessProc) log() string { w.mu.Lock(); defer w.mu.Unlock(); return w.logs.String() }

// newWitness makes a witness's key (livcctl witness keygen) and picks its
// address; start runs it.
func newWitness(t *testing.T, name string) *witnessProc {
	t.Helper()
	dir := t.TempDir()
	w := &witnessProc{name: name, addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		keyFile: filepath.Join(dir, "witness.key"), state: filepath.Join(dir, "state.json")}
	out, err := exec.Command(filepath.Join(binDir, "livcctl"), "witness", "keygen", "--name", name, "--key", w.keyFile).Output()
	must(t, err)
	w.vkey = strings.TrimSpace(string(out))
	return w
}

// start runs the witness for the demo cell's log under the broker's
// checkpoint key, and waits until it listens.
func (w *witnessProc) start(t *testing.T, logKey string) {
	t.Helper()
	w.cmd = exec.Command(filepath.Join(binDir, "livcctl"), "witness", "serve", "--listen", w.addr,
		"--state", w.state, "--key", w.keyFile, "--log", "livc-broker/audit/zonnedaal="+logKey)
	pr, pw := io.Pipe()
	w.cmd.Stdout, w.cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.logs.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
	}()
	must(t, w.cmd.Start())
	cmd := w.cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", w.addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("witness %s did not start:\n%s", w.name, w.log())
		}
	}
}

// stop kills the witness: it is down.
func (w *witnessProc) stop() {
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

// witnessLab is an audit lab whose cell names two witnesses.
type witnessLab struct {
	*auditLab
	ws     []*witnessProc
	config string
}

func newWitnessLab(t *testing.T) *witnessLab {
	t.Helper()
	demo, err := os.ReadFile("../../internal/config/demo/zonnedaal.yaml")
	must(t, err)
	wl := &witnessLab{ws: []*witnessProc{newWitness(t, "a.example"), newWitness(t, "b.example")}}
	cfg := string(demo) + "\naudit:\n  witnesses:\n"
	for _, w := range wl.ws {
		cfg += fmt.Sprintf("    - {name: %s, key: %q, url: \"http://%s/\"}\n", w.name, w.vkey, w.addr)
	}
	wl.config = filepath.Join(t.TempDir(), "zonnedaal.yaml")
	must(t, os.WriteFile(wl.config, []byte(cfg), 0o600))
	l := &auditLab{t: t, iss: newIssuer(t), data: t.TempDir()}
	l.redis = startRedis(t)
	l.rc = l.redis.client(t)
	wl.auditLab = l
	wl.restart()
	for _, w := range wl.ws {
		w.start(t, l.key)
	}
	return wl
}

// restart (re)starts the broker on the lab's data and configuration.
func (wl *witnessLab) restart() {
	l := wl.auditLab
	l.broker = startBroker(l.t, l.redis.Addr, l.iss, "--data", l.data, "--config", wl.config)
	var keys struct {
		CheckpointKey string `json:"checkpoint_key"`
	}
	do(l.t, "GET", l.broker.URL+"/v1/keys", nil).json(l.t, &keys)
	l.key = keys.CheckpointKey
}

// cosigners returns the witnesses whose cosignature lines the served
// checkpoint carries (the broker serves valid ones only).
func (wl *witnessLab) cosigners() []string {
	r := wl.get("dpo", "/v1/audit/checkpoint", "audit_review")
	if r.Status != 200 {
		wl.t.Fatalf("checkpoint: %d %s", r.Status, r.Body)
	}
	var names []string
	for _, w := range wl.ws {
		if strings.Contains(string(r.Body), "\n— "+w.name+" ") {
			names = append(names, w.name)
		}
	}
	return names
}

// awaitCosigners waits until the served checkpoint carries n cosignatures.
func (wl *witnessLab) awaitCosigners(n int) {
	wl.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); len(wl.cosigners()) != n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			wl.t.Fatalf("the checkpoint carries %v, want %d cosignatures\nbroker:\n%s", wl.cosigners(), n, wl.broker.logs.String())
		}
	}
}

// verifyQuorum runs livcctl audit verify with both witness keys.
func (wl *witnessLab) verifyQuorum(n int, wait string) (string, error) {
	return wl.livcctl("audit", "verify", "--no-progress", "--key", wl.key, "--witness", wl.ws[0].vkey, "--witness", wl.ws[1].vkey,
		"--quorum", fmt.Sprint(n), "--quorum-wait", wait)
}

// TestWitnessCosign: with both witnesses up, the checkpoint is served with
// two cosignatures, and verify --quorum 2 accepts the log.
func TestWitnessCosign(t *testing.T) {
	wl := newWitnessLab(t)
	for range 5 {
		wl.read()
	}
	wl.checkpoint()
	wl.awaitCosigners(2)
	if out, err := wl.verifyQuorum(2, "15s"); err != nil || !strings.Contains(out, `"ok":true`) {
		t.Fatalf("verify --quorum 2: %v\n%s", err, out)
	}
	for _, w := range wl.ws {
		st, err := os.ReadFile(w.state)
		if err != nil || !strings.Contains(string(st), "livc-broker/audit/zonnedaal") {
			t.Fatalf("witness %s state: %v %s", w.name, err, st)
		}
	}
}

// TestWitnessRebuildAttack: someone with the broker's host rebuilds the log
// in Redis with every hash recomputed, deletes its checkpoints and the
// broker's own file of last checkpoints, and restarts the broker with its
// keys. The broker signs the rebuilt log (nothing it holds remembers), but
// both witnesses refuse it, the broker raises an alert, and verify with a
// quorum of the two fails naming both.
func TestWitnessRebuildAttack(t *testing.T) {
	wl := newWitnessLab(t)
	for range 20 {
		wl.read()
	}
	wl.checkpoint()
	wl.awaitCosigners(2)
	wl.broker.stop(t)
	rebuildWithHashes(t, wl.auditLab, 5)
	ctx := context.Background()
	must(t, wl.rc.Del(ctx, demoStream+":checkpoints").Err())
	must(t, wl.rc.HDel(ctx, demoStream+":head", "cp").Err())
	must(t, os.Remove(filepath.Join(wl.data, "keys", "audit-checkpoints.json")))
	wl.restart()
	wl.read()
	wl.checkpoint() // signed: the broker alone cannot tell
	refusals := wl.awaitRefusals(2)
	all := ""
	for _, r := range refusals {
		all += r + "\n"
	}
	for _, w := range wl.ws {
		if !strings.Contains(all, "witness "+w.name+" refused") {
			t.Fatalf("no refusal of %s audited: %q\nbroker:\n%s", w.name, all, wl.broker.logs.String())
		}
		if l := w.log(); !strings.Contains(l, `"status":422`) && !strings.Contains(l, `"status":409`) {
			t.Fatalf("witness %s did not refuse:\n%s", w.name, l)
		}
	}
	var alerts struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	wl.get("dpo", "/v1/audit/alerts", "audit_review").json(t, &alerts)
	if n := strings.Count(fmt.Sprint(alerts.Items), "witness_refused"); n != 2 {
		t.Fatalf("alerts %+v, want two witness_refused", alerts.Items)
	}
	metrics := do(t, "GET", wl.broker.Admin+"/metrics", nil)
	for _, w := range wl.ws {
		if !strings.Contains(string(metrics.Body), `livc_witness_submissions_total{outcome="refused",witness="`+w.name+`"}`) {
			t.Fatalf("no refusal metric of %s", w.name)
		}
	}
	if got := wl.cosigners(); len(got) != 0 {
		t.Fatalf("the rebuilt log's checkpoint is served with cosignatures of %v", got)
	}
	out, err := wl.verifyQuorum(2, "1s")
	if err == nil || !strings.Contains(out, "a.example, b.example") {
		t.Fatalf("verify --quorum 2 of a rebuilt log: %v\n%s", err, out)
	}
}

// awaitRefusals waits (up to 15s) for n witness.refuse entries in the
// cell's log and returns their reasons.
func (wl *witnessLab) awaitRefusals(n int) []string {
	var page struct {
		Items []struct {
			Reason string `json:"reason"`
		} `json:"items"`
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		wl.get("dpo", "/v1/audit?action=witness.refuse", "audit_review").json(wl.t, &page)
		if len(page.Items) >= n || time.Now().After(deadline) {
			break
		}
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Reason)
	}
	return out
}

// TestWitnessQuorumDown: one witness down, a quorum of one still verifies
// and one of two does not; both down (then both hanging), new checkpoints
// are served without cosignatures, verify with a quorum fails, and
// requests go on at their usual pace.
func TestWitnessQuorumDown(t *testing.T) {
	wl := newWitnessLab(t)
	wl.read()
	wl.checkpoint()
	wl.awaitCosigners(2)
	usual := wl.pace(10)

	wl.ws[1].stop()
	wl.read()
	wl.checkpoint()
	wl.awaitCosigners(1)
	if out, err := wl.verifyQuorum(1, "15s"); err != nil {
		t.Fatalf("one witness down, quorum 1: %v\n%s", err, out)
	}
	if out, err := wl.verifyQuorum(2, "1s"); err == nil || !strings.Contains(out, "b.example") || strings.Contains(out, "a.example") {
		t.Fatalf("one witness down, quorum 2: %v\n%s", err, out)
	}

	wl.ws[0].stop()
	wl.read()
	wl.checkpoint()
	if got := wl.cosigners(); len(got) != 0 {
		t.Fatalf("both witnesses down, the new checkpoint carries %v", got)
	}
	if out, err := wl.verifyQuorum(1, "1s"); err == nil || !strings.Contains(out, "a.example, b.example") {
		t.Fatalf("both down, quorum 1: %v\n%s", err, out)
	}
	// Both witnesses now accept connections and never answer.
	var accepted atomic.Int32
	for _, w := range wl.ws {
		ln, err := net.Listen("tcp", w.addr)
		must(t, err)
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				t.Cleanup(func() { c.Close() })
			}
		}()
	}
	hanging := wl.pace(10)
	t.Logf("slowest request with witnesses up: %v, with both hanging: %v", usual, hanging)
	if hanging > usual*3+200*time.Millisecond {
		t.Fatalf("hanging witnesses slowed requests: %v, usually %v", hanging, usual)
	}
	if accepted.Load() == 0 {
		t.Fatal("no checkpoint was submitted to the hanging witnesses: the test proves nothing")
	}
}

// pace makes n rounds of a card read and a fresh checkpoint (each handed to
// the witnesses), and returns the slowest request.
func (wl *witnessLab) pace(n int) time.Duration {
	var slowest time.Duration
	for range n {
		for _, f := range []func(){func() { wl.read() }, wl.checkpoint} {
			start := time.Now()
			f()
			slowest = max(slowest, time.Since(start))
		}
	}
	return slowest
}
