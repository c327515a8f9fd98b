package e2e

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerTimeouts checks, on the real binary, the two server timeouts
// a client controls besides the read-header one (TestLimits): a request
// whose body trickles in past --read-timeout is cut off with nothing stored,
// and audited all the same, and a kept-alive connection left idle is closed after --idle-timeout, not
// before. (The write timeout needs a client that stops reading an answer
// larger than the loopback socket buffers; it is tested as a flag only.)
func TestServerTimeouts(t *testing.T) {
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath,
		"--read-header-timeout", "1s", "--read-timeout", "2s", "--idle-timeout", "1s")
	host := strings.TrimPrefix(b.URL, "http://")

	t.Run("a body trickled past the read timeout is cut off", func(t *testing.T) {
		rc := rs.client(t)
		before := storeSnapshot(t, rc)
		conn, err := net.Dial("tcp", host)
		must(t, err)
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"LIVC-Purpose: signal\r\nContent-Type: application/age\r\nContent-Length: 4096\r\n\r\n",
			iss.token(t, "zonnedaal", "ocmw"))
		answer := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(conn).ReadString('\n') // "" when closed without an answer
			io.Copy(io.Discard, conn)
			answer <- line
		}()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case line := <-answer:
				took := time.Since(start)
				t.Logf("cut off after %v, answer %q", took.Round(time.Millisecond), strings.TrimSpace(line))
				if took < 1900*time.Millisecond {
					t.Fatalf("cut off after %v, before the 2s read timeout", took)
				}
				if strings.Contains(line, " 201 ") || strings.Contains(line, " 200 ") {
					t.Fatalf("a body cut off by the read timeout was answered %q", line)
				}
				if after := storeSnapshot(t, rc); !maps.Equal(before, after) {
					t.Fatalf("the store changed: %s", diffKeys(before, after))
				}
				// The client is gone, but its attempt is still accounted for.
				r := do(t, "GET", b.URL+"/v1/audit?action=signal.submit", nil,
					"Authorization", "Bearer "+iss.token(t, "zonnedaal", "dpo"), "LIVC-Purpose", "audit_review")
				var page struct {
					Items []auditEntry `json:"items"`
				}
				r.json(t, &page)
				if len(page.Items) != 1 || page.Items[0].Decision == "allow" || page.Items[0].Actor != "ocmw" {
					t.Fatalf("audit of the cut-off submission: %+v, want one refusal by ocmw", page.Items)
				}
				return
			case <-tick.C:
				if time.Since(start) > 10*time.Second {
					t.Fatal("a body trickling in was not cut off within 10s (read timeout 2s)")
				}
				conn.Write([]byte("x")) // errors once closed; the reader reports it
			}
		}
	})

	t.Run("an idle kept-alive connection is closed", func(t *testing.T) {
		conn, err := net.Dial("tcp", host)
		must(t, err)
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		must(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz on a kept-alive connection: %d, close %v", resp.StatusCode, resp.Close)
		}
		idle := time.Now()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := io.Copy(io.Discard, br) // returns when the server closes
		took := time.Since(idle)
		t.Logf("closed after %v idle", took.Round(time.Millisecond))
		if err != nil || n != 0 {
			t.Fatalf("idle connection: %d bytes, %v (want a close by the server within 10s)", n, err)
		}
		if took < 900*time.Millisecond {
			t.Fatalf("closed after %v idle, before the 1s idle timeout", took)
		}
	})
}
