package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TestLimits checks the server's limits on the real binary: a slowloris
// client is cut off, oversized headers are refused, bodies over --max-body
// are 413 whether or not they declare their length, and a principal over
// its rate gets 429 with Retry-After while another principal does not.
func TestLimits(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath,
		"--read-header-timeout", "1s", "--max-header-bytes", "4096", "--max-body", "2048",
		"--rate-limit", "1", "--rate-burst", "3")
	host := strings.TrimPrefix(b.URL, "http://")

	t.Run("slowloris is cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", host)
		must(t, err)
		defer conn.Close()
		start := time.Now()
		closed := make(chan time.Duration, 1)
		go func() {
			io.Copy(io.Discard, conn) // returns when the server closes
			closed <- time.Since(start)
		}()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case d := <-closed:
				t.Logf("cut off after %v", d.Round(time.Millisecond))
				return
			case <-tick.C:
				if time.Since(start) > 10*time.Second {
					t.Fatal("a client trickling headers was not cut off within 10s (read header timeout 1s)")
				}
				fmt.Fprintf(conn, "X-Slow-%d: x\r\n", i) // errors once closed; the reader reports it
			}
		}
	})
	t.Run("oversized headers are 431", func(t *testing.T) {
		r := do(t, "GET", b.URL+"/v1/keys", nil, "X-Big", strings.Repeat("a", 64<<10))
		if r.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("got %d", r.Status)
		}
	})
	ocmw := "Bearer " + iss.token(t, m.Livc, "ocmw")
	t.Run("bodies over --max-body are 413, declared or chunked", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			body := io.Reader(bytes.NewReader(make([]byte, 4096)))
			if chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, _ := http.NewRequest("POST", b.URL+"/v1/signals", body)
			req.Header.Set("Authorization", "Bearer "+iss.token(t, m.Livc, "clb"))
			req.Header.Set("LIVC-Purpose", "signal")
			req.Header.Set("Content-Type", "application/age")
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			drain(resp)
			if resp.StatusCode != 413 || resp.Header.Get("X-Audit-Id") == "" {
				t.Fatalf("chunked=%v: %d, audit id %q", chunked, resp.StatusCode, resp.Header.Get("X-Audit-Id"))
			}
		}
	})
	t.Run("rate limit per principal: 429 with Retry-After", func(t *testing.T) {
		card := b.URL + "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card"
		var last response
		statuses := []int{}
		for range 6 {
			last = do(t, "GET", card, nil, "Authorization", ocmw, "LIVC-Purpose", "case_conference")
			statuses = append(statuses, last.Status)
		}
		if statuses[0] != 404 || last.Status != 429 {
			t.Fatalf("statuses %v: want 404 first and 429 at the end", statuses)
		}
		ra, err := strconv.Atoi(last.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 5 {
			t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
		}
		if last.Header.Get("Content-Type") != "application/problem+json" || last.Header.Get("X-Audit-Id") == "" {
			t.Fatalf("429 not a problem or not audited: %v", last.Header)
		}
		other := do(t, "GET", card, nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "pz"), "LIVC-Purpose", "case_conference")
		if other.Status != 404 {
			t.Fatalf("another principal is limited too: %d", other.Status)
		}
		time.Sleep(time.Duration(ra)*time.Second + 100*time.Millisecond)
		if r := do(t, "GET", card, nil, "Authorization", ocmw, "LIVC-Purpose", "case_conference"); r.Status != 404 {
			t.Fatalf("after Retry-After: %d", r.Status)
		}
	})
}

// TestActorRateLimit checks the per-actor limit on the real binary: two
// people of one actor, each well within their own --rate-limit, exhaust the
// actor's --actor-rate-burst together and both get 429 with Retry-After,
// audited; a person of another actor does not; once Retry-After has passed,
// the actor's people are served again.
func TestActorRateLimit(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath,
		"--rate-limit", "100", "--rate-burst", "100", "--actor-rate-limit", "0.25", "--actor-rate-burst", "4")
	card := b.URL + "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card"
	person := func(actor, sub string) string {
		return "Bearer " + iss.token(t, m.Livc, actor, func(b *jwt.Builder) { b.Subject(sub) })
	}
	alice, bob, carol := person("ocmw", "alice"), person("ocmw", "bob"), person("pz", "carol")
	get := func(tok string) response {
		return do(t, "GET", card, nil, "Authorization", tok, "LIVC-Purpose", "case_conference")
	}
	steps := []struct {
		name string
		tok  string
		want int
	}{
		{"alice 1", alice, 404}, {"alice 2", alice, 404}, {"bob 1", bob, 404}, {"bob 2", bob, 404},
		{"bob over the actor's burst", bob, 429}, {"alice over the actor's burst", alice, 429},
		{"another actor's person", carol, 404},
	}
	var last response
	for _, s := range steps {
		r := get(s.tok)
		if r.Status != s.want {
			t.Fatalf("%s: %d %s, want %d", s.name, r.Status, r.Body, s.want)
		}
		if r.Status == 429 {
			last = r
			if r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("X-Audit-Id") == "" {
				t.Fatalf("%s: 429 not a problem or not audited: %v", s.name, r.Header)
			}
		}
	}
	ra, err := strconv.Atoi(last.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 4 {
		t.Fatalf("Retry-After %q, want 1 to 4 seconds at 0.25 a second", last.Header.Get("Retry-After"))
	}
	time.Sleep(time.Duration(ra)*time.Second + 100*time.Millisecond)
	if r := get(bob); r.Status != 404 {
		t.Fatalf("after Retry-After: %d", r.Status)
	}
}

// TestGracefulShutdown starts a submission whose body is still on its way,
// sends SIGTERM, then finishes the body: the request in flight completes
// (201, its audit entry in the log), new connections are refused, and the
// broker exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	body := seal(t, keys.Recipients[0], []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`))

	conn, err := net.Dial("tcp", strings.TrimPrefix(b.URL, "http://"))
	must(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nLIVC-Purpose: signal\r\nContent-Type: application/age\r\nContent-Length: %d\r\n\r\n",
		iss.token(t, m.Livc, "ocmw"), len(body))
	_, err = conn.Write(body[:len(body)/2])
	must(t, err)
	time.Sleep(200 * time.Millisecond) // the handler is reading the body

	must(t, b.cmd.Process.Signal(syscall.SIGTERM))
	deadline := time.Now().Add(5 * time.Second)
	for { // the listener closes: no new requests
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(b.URL, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the broker still accepts connections 5s after SIGTERM")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // in flight well after SIGTERM
	_, err = conn.Write(body[len(body)/2:])
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	drain(resp)
	if resp.StatusCode != 201 {
		t.Fatalf("the request in flight got %d", resp.StatusCode)
	}
	id := resp.Header.Get("X-Audit-Id")
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the broker did not exit cleanly: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the broker did not exit after SIGTERM")
	}
	msgs, err := rs.client(t).XRange(t.Context(), "livc:{livc:"+m.Livc+"}:audit", "-", "+").Result()
	must(t, err)
	found := false
	for _, msg := range msgs {
		found = found || strings.Contains(fmt.Sprint(msg.Values["entry"]), id)
	}
	if !found {
		t.Fatalf("the audit entry %s of the request in flight is not in the log", id)
	}
}
