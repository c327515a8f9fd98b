package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// outageBound is the longest a request may take while Redis is down: the
// Redis client's dial timeout (2s) plus one retry, with room for a loaded
// machine. Anything longer is a hang.
const outageBound = 8 * time.Second

// TestRedisOutage stops the real Redis under concurrent requests and checks
// that every request that needs it is answered 503 problem+json within a
// bounded time (never a hang, never a 2xx), that /readyz says not ready, and
// that the broker serves again by itself once Redis is back.
func TestRedisOutage(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	// Every refused login is audited one by one here (auth-fail limits out
	// of reach), so that a bad token needs the log like the other calls;
	// one over the limit is only counted and answered 401 without it
	// (TestAuthFlood).
	b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--rate-limit", "0",
		"--auth-fail-burst", "1000000", "--auth-fail-total-burst", "1000000")
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)

	var n atomic.Int64
	type call struct {
		name string
		send func() (*http.Request, error)
		ok   int // the status when Redis is up
	}
	newSignal := func() []byte {
		i := n.Add(1)
		plain, _ := json.Marshal(map[string]any{
			"subject":     map[string]any{"family_name": fmt.Sprintf("Outage%d", i), "given_name": "Test", "birth_date": "1990-01-01"},
			"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"presence": "absent"}})
		return seal(t, keys.Recipients[0], plain)
	}
	req := func(method, path string, body func() []byte, h ...string) func() (*http.Request, error) {
		return func() (*http.Request, error) {
			var r *http.Request
			var err error
			if body != nil {
				r, err = http.NewRequest(method, b.URL+path, bytesReader(body()))
			} else {
				r, err = http.NewRequest(method, b.URL+path, nil)
			}
			for i := 0; err == nil && i+1 < len(h); i += 2 {
				r.Header.Set(h[i], h[i+1])
			}
			return r, err
		}
	}
	ocmw := "Bearer " + iss.token(t, m.Livc, "ocmw")
	calls := []call{
		{"submit", req("POST", "/v1/signals", newSignal, "Authorization", ocmw, "LIVC-Purpose", "signal", "Content-Type", "application/age"), 201},
		{"card", req("GET", "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card", nil, "Authorization", ocmw, "LIVC-Purpose", "case_conference"), 404},
		{"audit", req("GET", "/v1/audit?limit=5", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "dpo"), "LIVC-Purpose", "audit_review"), 200},
		{"bad token", req("GET", "/v1/audit", nil, "Authorization", "Bearer garbage", "LIVC-Purpose", "audit_review"), 401},
		{"readyz", req("GET", "/readyz", nil), 200},
	}
	client := &http.Client{Timeout: 30 * time.Second}

	type result struct {
		call     string
		started  time.Time
		took     time.Duration
		status   int
		ctype    string
		netError error
	}
	var (
		mu      sync.Mutex
		results []result
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := calls[i%len(calls)]
				r, err := c.send()
				if err != nil {
					t.Error(err)
					return
				}
				res := result{call: c.name, started: time.Now()}
				resp, err := client.Do(r)
				res.took = time.Since(res.started)
				if err != nil {
					res.netError = err
				} else {
					res.status, res.ctype = resp.StatusCode, resp.Header.Get("Content-Type")
					drain(resp)
				}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	phase := func(d time.Duration) (from, to time.Time) {
		from = time.Now()
		time.Sleep(d)
		return from, time.Now()
	}
	upFrom, upTo := phase(time.Second)
	rs.stop()
	release := holdPort(t, rs.Addr)
	downFrom, downTo := phase(3 * time.Second)
	release()
	rs.start(t)
	recovered := time.Now()
	// Recovery: within 10s every call answers as it did before the outage.
	deadline := time.Now().Add(10 * time.Second)
	for {
		okAll := true
		for _, c := range calls {
			r, _ := c.send()
			resp, err := client.Do(r)
			if err != nil || resp.StatusCode != c.ok {
				okAll = false
			}
			if err == nil {
				drain(resp)
			}
		}
		if okAll {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the broker did not recover within 10s of Redis coming back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("recovered %v after Redis restarted", time.Since(recovered).Round(time.Millisecond))
	againFrom, againTo := phase(time.Second)
	close(stop)
	wg.Wait()

	want := map[string]int{}
	for _, c := range calls {
		want[c.name] = c.ok
	}
	var up, down, again int
	for _, r := range results {
		if r.netError != nil {
			t.Errorf("%s: no answer after %v: %v", r.call, r.took, r.netError)
			continue
		}
		switch {
		case !r.started.Before(upFrom) && r.started.Add(r.took).Before(upTo), !r.started.Before(againFrom) && r.started.Add(r.took).Before(againTo):
			if r.status != want[r.call] {
				t.Errorf("%s with Redis up: %d, want %d", r.call, r.status, want[r.call])
			}
			if r.started.Before(upTo) {
				up++
			} else {
				again++
			}
		case !r.started.Before(downFrom) && r.started.Before(downTo):
			// Answered during the outage: 503. One started during it may
			// be answered after Redis is back, by then rightly; within
			// the bound either way.
			if r.started.Add(r.took).Before(downTo) {
				down++
				if r.status != 503 || r.ctype != "application/problem+json" {
					t.Errorf("%s with Redis down: %d %s, want 503 problem+json", r.call, r.status, r.ctype)
				}
			}
			if r.took > outageBound {
				t.Errorf("%s with Redis down took %v, more than %v", r.call, r.took, outageBound)
			}
		}
	}
	t.Logf("requests: %d before, %d during, %d after the outage", up, down, again)
	if up == 0 || down < len(calls) || again == 0 {
		t.Fatalf("too few requests in a phase: %d before, %d during, %d after", up, down, again)
	}
}
