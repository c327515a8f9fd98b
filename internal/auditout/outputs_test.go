package auditout

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

func TestParseSyslogAddr(t *testing.T) {
	for _, tc := range []struct {
		in, network, raddr string
		ok                 bool
	}{
		{"local", "", "", true},
		{"udp://siem.example:514", "udp", "siem.example:514", true},
		{"tcp://127.0.0.1:6514", "tcp", "127.0.0.1:6514", true},
		{"unix:///dev/log", "unix", "/dev/log", true},
		{"udp://siem.example", "", "", false},
		{"tcp://host:514/path", "", "", false},
		{"unix://relative/path", "", "", false},
		{"http://siem:514", "", "", false},
		{"siem:514", "", "", false},
		{"", "", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			n, a, err := ParseSyslogAddr(tc.in)
			if (err == nil) != tc.ok || n != tc.network || a != tc.raddr {
				t.Errorf("got %q %q %v", n, a, err)
			}
		})
	}
}

func TestCheckWebhookURL(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"https://oncall.example/hooks/livc", true},
		{"http://127.0.0.1:9000/hook", true},
		{"http://localhost:9000/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://oncall.example/hook", false},
		{"https://user:pw@oncall.example/hook", false},
		{"ftp://oncall.example/hook", false},
		{"/hook", false},
		{"", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if err := CheckWebhookURL(tc.in); (err == nil) != tc.ok {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	t.Run("new file is 0600", func(t *testing.T) {
		f, err := NewFile(FileConf{Path: filepath.Join(dir, "a.jsonl")})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Deliver(context.Background(), "c", []broker.AuditEntry{{ID: "aud_1", Index: 0}}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, "a.jsonl"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, %v", fi.Mode(), err)
		}
	})
	t.Run("a file others may read is refused", func(t *testing.T) {
		p := filepath.Join(dir, "b.jsonl")
		os.WriteFile(p, nil, 0o644)
		os.Chmod(p, 0o644)
		if _, err := NewFile(FileConf{Path: p}); err == nil {
			t.Error("a 0644 sink file accepted")
		}
	})
	t.Run("no directory", func(t *testing.T) {
		if _, err := NewFile(FileConf{Path: filepath.Join(dir, "none", "c.jsonl")}); err == nil {
			t.Error("a file in a missing directory accepted")
		}
	})
}

func TestWebhookSignsAndRetries(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway) // the first try fails
			return
		}
		var body [4096]byte
		n, _ := r.Body.Read(body[:])
		want := "v1=" + Sign(secret, r.Header.Get("X-Livc-Timestamp"), body[:n])
		if r.Header.Get("X-Livc-Signature") != want || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: secret, Wait: time.Millisecond}
	a := Alert{ID: "x", Livc: "c", Alert: broker.Alert{Kind: broker.AlertDenials, Actor: "pz"}}
	if err := w.Send(context.Background(), []Alert{a}); err != nil {
		t.Fatalf("send: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2 (one retry)", calls.Load())
	}
	t.Run("a wrong secret is refused by the receiver", func(t *testing.T) {
		bad := &Webhook{URL: srv.URL, Secret: []byte(strings.Repeat("t", 32)), Attempts: 1}
		if err := bad.Send(context.Background(), []Alert{a}); err == nil {
			t.Error("a badly signed alert was taken")
		}
	})
	t.Run("a redirect is not followed", func(t *testing.T) {
		var elsewhere atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
		defer other.Close()
		moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
		}))
		defer moved.Close()
		hook := &Webhook{URL: moved.URL, Secret: secret, Attempts: 1}
		if err := hook.Send(context.Background(), []Alert{a}); err == nil {
			t.Error("a redirect counted as a delivery")
		}
		if elsewhere.Load() != 0 {
			t.Error("the signed alert was sent on to the redirect's target")
		}
	})
	t.Run("gives up after its attempts", func(t *testing.T) {
		down := &Webhook{URL: "http://127.0.0.1:1/none", Secret: secret, Attempts: 2, Wait: time.Millisecond}
		err := down.Send(context.Background(), []Alert{a})
		if err == nil || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("got %v, want an error that does not repeat the URL", err)
		}
	})
}

func denial(i int64, actor string, at time.Time) broker.AuditEntry {
	return broker.AuditEntry{ID: "aud_" + actor, Index: i, Time: at, Actor: actor, Sub: actor + "-sub",
		Action: broker.ActionCardRead, Decision: broker.DecisionDeny}
}

func TestAlertsDetector(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var counted []string
	a := &Alerts{Conf: func(string) broker.AuditConf { return broker.AuditConf{MaxDenials: 3, AlertWindow: time.Hour} },
		Count: func(_, kind string) { counted = append(counted, kind) }}
	ctx := context.Background()
	deliver := func(es ...broker.AuditEntry) {
		t.Helper()
		if err := a.Deliver(ctx, "c", es); err != nil {
			t.Fatal(err)
		}
	}
	deliver(denial(0, "pz", t0), denial(1, "pz", t0.Add(time.Minute)))
	if len(counted) != 0 {
		t.Fatalf("alert under the threshold: %v", counted)
	}
	deliver(denial(2, "pz", t0.Add(2*time.Minute)))
	if len(counted) != 1 {
		t.Fatalf("%d alerts at the threshold, want 1", len(counted))
	}
	deliver(denial(2, "pz", t0.Add(2*time.Minute))) // a repeat of the same entry
	deliver(denial(3, "pz", t0.Add(3*time.Minute)))
	if len(counted) != 1 {
		t.Fatalf("%d alerts within the window, want 1", len(counted))
	}
	// Two hours on, three more: a new window, a new alert.
	t1 := t0.Add(2 * time.Hour)
	deliver(denial(4, "pz", t1), denial(5, "pz", t1.Add(time.Second)), denial(6, "pz", t1.Add(2*time.Second)))
	if len(counted) != 2 {
		t.Fatalf("%d alerts after a new window, want 2", len(counted))
	}
	if d := a.detector("c"); len(d.window) != 3 {
		t.Errorf("window holds %d entries, want the 3 of the last hour", len(d.window))
	}
}

// fakeFeed is a log in memory for the Follower's unit tests.
type fakeFeed struct {
	entries []broker.AuditEntry
	cursor  int64
}

func (f *fakeFeed) EntriesAfter(_ context.Context, _ string, after int64, n int) ([]broker.AuditEntry, error) {
	from := int(after + 1)
	return f.entries[from:min(from+n, len(f.entries))], nil
}
func (f *fakeFeed) FollowCursor(context.Context, string, string) (int64, error) { return f.cursor, nil }
func (f *fakeFeed) SetFollowCursor(_ context.Context, _, _ string, i int64) error {
	f.cursor = i
	return nil
}
func (f *fakeFeed) ClaimFollow(context.Context, string, string, time.Duration) (func() bool, func(), bool, error) {
	return func() bool { return true }, func() {}, true, nil
}

// flaky fails its first delivery, then keeps what it gets.
type flaky struct {
	fails int
	got   []int64
}

func (*flaky) Name() string { return "flaky" }
func (o *flaky) Deliver(_ context.Context, _ string, es []broker.AuditEntry) error {
	if o.fails > 0 {
		o.fails--
		return errors.New("down")
	}
	for _, e := range es {
		o.got = append(o.got, e.Index)
	}
	return nil
}

func TestFollowerRetriesAndMovesTheCursorAfterDelivery(t *testing.T) {
	feed := &fakeFeed{cursor: 1}
	for i := range 10 {
		feed.entries = append(feed.entries, broker.AuditEntry{Index: int64(i)})
	}
	out := &flaky{fails: 1}
	var failures int
	f := &Follower{Feed: feed, Out: out, Logs: []string{"c"}, Every: time.Millisecond, Batch: 3,
		OnError: func(string) { failures++ }}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	f.Run(ctx)
	want := []int64{2, 3, 4, 5, 6, 7, 8, 9}
	b, _ := json.Marshal(out.got)
	if len(out.got) != len(want) || out.got[0] != 2 || out.got[7] != 9 {
		t.Errorf("delivered %s, want 2..9 once each", b)
	}
	if feed.cursor != 9 || failures != 1 {
		t.Errorf("cursor %d failures %d, want 9 and 1", feed.cursor, failures)
	}
}
