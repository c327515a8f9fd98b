package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/auditout"
)

// TestAuditOutputs runs three brokers one after the other on one Redis: the
// first and the third write every audit entry to a sink file and to syslog
// and send alerts to a webhook; the second, between them, has no outputs.
// Every entry of the cell's log and of the broker's own log reaches the file
// and syslog, in log order, none twice, and each alert reaches the webhook
// once, signed: what was appended while no output ran is delivered after
// the restart.
func TestAuditOutputs(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	dir := t.TempDir()
	hook := newHookReceiver(t)
	sys := newSyslogReceiver(t)
	sink := filepath.Join(dir, "audit.jsonl")
	outputs := []string{"--config", examplePath, "--data", filepath.Join(dir, "data"),
		"--audit-sink-file", sink, "--audit-sink-syslog", "tcp://" + sys.addr,
		"--alert-webhook", hook.srv.URL, "--alert-webhook-secret", hook.secretFile(t, dir),
		"--audit-follow-every", "100ms"}

	b := startBroker(t, rs.Addr, iss, outputs...)
	deny(t, b, iss, m.Livc, "ocmw", 6)
	deny(t, b, iss, m.Livc, "pz", 3)
	waitDelivered(t, rs, sink, sys, m.Livc)
	hook.waitFor(t, 1)
	b.stop(t)

	b = startBroker(t, rs.Addr, iss, "--config", examplePath, "--data", filepath.Join(dir, "data"))
	deny(t, b, iss, m.Livc, "clb", 6)
	b.stop(t)

	// pz's denials cross the threshold across the restarts: the window is
	// read back. ocmw's one more is within the alert already raised.
	b = startBroker(t, rs.Addr, iss, outputs...)
	deny(t, b, iss, m.Livc, "pz", 3)
	deny(t, b, iss, m.Livc, "ocmw", 1)
	waitDelivered(t, rs, sink, sys, m.Livc)
	hook.waitFor(t, 3)

	t.Run("each alert once, signed, no value", func(t *testing.T) {
		time.Sleep(300 * time.Millisecond) // a repeat of ocmw's would come now
		got := hook.alerts()
		if len(got) != 3 || got[0].Actor != "ocmw" || got[1].Actor != "clb" || got[2].Actor != "pz" {
			t.Fatalf("webhook got %+v, want the repeated_denials of ocmw, clb, then pz", got)
		}
		for _, a := range got {
			if a.Kind != broker.AlertDenials || a.Livc != m.Livc || a.ID == "" || len(a.Entries) < 5 {
				t.Errorf("alert %+v", a)
			}
		}
	})
	t.Run("alerts counted in metrics", func(t *testing.T) {
		r := do(t, "GET", b.Admin+"/metrics", nil)
		want := fmt.Sprintf(`livc_audit_alerts_total{kind="repeated_denials",livc=%q} 2`, m.Livc)
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %s (the third broker raised clb's and pz's alerts)", want)
		}
	})
}

// TestWebhookNeverHoldsUpRequests points the alerts at a webhook that never
// answers: requests go on as usual, and the entries still reach the file.
func TestWebhookNeverHoldsUpRequests(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	dir := t.TempDir()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); srv.Close() })
	secret := filepath.Join(dir, "secret")
	must(t, os.WriteFile(secret, []byte(strings.Repeat("k", 32)), 0o600))
	sink := filepath.Join(dir, "audit.jsonl")
	b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--audit-sink-file", sink,
		"--alert-webhook", srv.URL, "--alert-webhook-secret", secret, "--audit-follow-every", "100ms")
	start := time.Now()
	deny(t, b, iss, m.Livc, "ocmw", 12) // crosses the threshold twice over
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("12 requests took %v while the webhook hangs", took)
	}
	waitDelivered(t, rs, sink, nil, m.Livc)
}

// deny makes n requests of actor that the policy denies (the audit log is
// the privacy officer's), each audited as a deny.
func deny(t *testing.T, b *brokerProc, iss *issuerKey, livc, actor string, n int) {
	t.Helper()
	tok := "Bearer " + iss.token(t, livc, actor)
	for range n {
		r := do(t, "GET", b.URL+"/v1/audit", nil, "Authorization", tok, "LIVC-Purpose", "audit_review")
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s reading the audit log: %d, want 403", actor, r.Status)
		}
	}
	// And one refused token: an entry of the broker's own log.
	if r := do(t, "GET", b.URL+"/v1/cases", nil, "Authorization", "Bearer not-a-token", "LIVC-Purpose", "case_conference"); r.Status != 401 {
		t.Fatalf("bad token: %d", r.Status)
	}
}

// waitDelivered waits until the sink file (and syslog, when given) hold
// every entry of the cell's log and of the broker's own log, and checks
// that each log's entries are there once each, in order.
func waitDelivered(t *testing.T, rs *redisServer, sink string, sys *syslogReceiver, livc string) {
	t.Helper()
	c := rs.client(t)
	want := map[string]int64{}
	for _, l := range []string{livc, ""} {
		key := "livc:{livc:" + livc + "}:audit"
		if l == "" {
			key = "livc:{livc:_broker}:audit"
		}
		n, err := c.XLen(context.Background(), key).Result()
		must(t, err)
		want[l] = n
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		fileErr := checkLines(readLines(t, sink), want)
		sysErr := error(nil)
		if sys != nil {
			sysErr = checkLines(sys.lines(), want)
		}
		if fileErr == nil && sysErr == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outputs incomplete: file: %v; syslog: %v", fileErr, sysErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkLines checks that lines hold, per log, the entries 0..want-1 in
// order, once each, and nothing that looks like a token.
func checkLines(lines []string, want map[string]int64) error {
	next := map[string]int64{}
	for _, l := range lines {
		var e broker.AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return fmt.Errorf("line %q: %v", l, err)
		}
		if strings.Contains(l, "eyJ") || strings.Contains(l, "not-a-token") {
			return fmt.Errorf("a line holds a token: %s", l)
		}
		if e.Index != next[e.Livc] {
			return fmt.Errorf("log %q: entry %d after %d", e.Livc, e.Index, next[e.Livc]-1)
		}
		next[e.Livc]++
	}
	for l, n := range want {
		if next[l] != n {
			return fmt.Errorf("log %q: %d of %d entries", l, next[l], n)
		}
	}
	return nil
}

func readLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	must(t, err)
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
		t.Fatalf("sink file mode %v, want 0600", fi.Mode().Perm())
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// hookReceiver is an alert webhook that checks each request's signature.
type hookReceiver struct {
	srv    *httptest.Server
	secret []byte
	mu     sync.Mutex
	got    []auditout.Alert
	bad    int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{secret: []byte("an alert webhook secret of 32+ bytes")}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := strings.TrimPrefix(r.Header.Get("X-Livc-Signature"), "v1=")
		good := auditout.Sign(h.secret, r.Header.Get("X-Livc-Timestamp"), body)
		h.mu.Lock()
		defer h.mu.Unlock()
		var a auditout.Alert
		if !hmac.Equal([]byte(sig), []byte(good)) || json.Unmarshal(body, &a) != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.got = append(h.got, a)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) secretFile(t *testing.T, dir string) string {
	p := filepath.Join(dir, "webhook-secret")
	must(t, os.WriteFile(p, h.secret, 0o600))
	return p
}

func (h *hookReceiver) alerts() []auditout.Alert {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]auditout.Alert(nil), h.got...)
}

func (h *hookReceiver) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); len(h.alerts()) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %d alerts, want %d (%d badly signed)", len(h.alerts()), n, h.bad)
		}
	}
}

// syslogReceiver is a syslog daemon over TCP that keeps each message's text.
type syslogReceiver struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func newSyslogReceiver(t *testing.T) *syslogReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	s := &syslogReceiver{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.read(c)
		}
	}()
	return s
}

// read keeps the text after "livc-broker[pid]: " of each line.
func (s *syslogReceiver) read(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "<86>") { // authpriv.info: 10*8+6
			line = "bad priority: " + line
		} else if _, msg, ok := strings.Cut(line, "]: "); ok {
			line = msg
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, line)
		s.mu.Unlock()
	}
}

func (s *syslogReceiver) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}
