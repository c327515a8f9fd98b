package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReloadAtomic checks that a reload puts a cell's configuration and
// the policy compiled over it in force together, for every request. Config
// B moves the signal purpose from no table to the tactical table and seats
// clb there: under A alone and under B alone clb may submit, but a request
// that judged with A's tables and B's policy would be refused (403). A
// submission whose body is still arriving when the reload happens began
// under A and must finish under A. A failing reload keeps both halves old.
func TestReloadAtomic(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	conf, pol := cellWithPolicies(t, map[string]string{})
	a, err := os.ReadFile(conf)
	must(t, err)
	cfgA := string(a)
	cfgB := replaceAll(t, cfgA,
		"tactical: [burgemeester, pz, preventie, ocmw, parket]", "tactical: [burgemeester, pz, preventie, ocmw, parket, clb]",
		"signal:          { table: null,", "signal:          { table: tactical,",
		"\nfields:\n", "\nfields:\n  reload_note:       { class: signal,       type: string, max: 100 }\n")
	b := startBroker(t, rs.Addr, iss, "--config", conf)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	seq := 0
	signal := func(extra string) []byte {
		seq++
		js := string(signalJSON(validNN("900101", seq), fmt.Sprintf("Rel%d", seq), "a signal"))
		js = strings.Replace(js, `"fields":{`, `"fields":{`+extra, 1)
		return seal(t, keys.Recipients[0], []byte(js))
	}
	submit := func(actor string, body []byte) int {
		t.Helper()
		return do(t, "POST", b.URL+"/v1/signals", body, "Authorization", "Bearer "+iss.token(t, m.Livc, actor),
			"LIVC-Purpose", "signal", "Content-Type", "application/age").Status
	}
	t.Run("a request that began before the reload ends under the configuration it began with", func(t *testing.T) {
		must(t, os.WriteFile(conf, []byte(cfgB), 0o644))
		body := signal("")
		conn, rd := startSlowPost(t, b, "/v1/signals", body, "Authorization", "Bearer "+iss.token(t, m.Livc, "clb"),
			"LIVC-Purpose", "signal", "Content-Type", "application/age")
		time.Sleep(300 * time.Millisecond) // the request has begun: authenticated, its body awaited
		sighup(t, b, "policy reloaded")
		_, err := conn.Write(body[len(body)/2:])
		must(t, err)
		resp, err := http.ReadResponse(rd, nil)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("the submission straddling the reload: %d, want 201", resp.StatusCode)
		}
	})
	t.Run("after the reload both the policy and the catalogue are new", func(t *testing.T) {
		if st := submit("clb", signal(`"reload_note":"new field",`)); st != 201 {
			t.Fatalf("clb, at the tactical table, with B's new field: %d", st)
		}
		if st := submit("jeugddienst", signal("")); st != 403 {
			t.Fatalf("jeugddienst, not at the tactical table: %d", st)
		}
	})
	t.Run("a failed reload keeps both the policy and the catalogue", func(t *testing.T) {
		cfgC := replaceAll(t, cfgB, "tactical: [burgemeester, pz, preventie, ocmw, parket, clb]", "tactical: [burgemeester, pz, preventie, ocmw, parket, clb, jeugddienst]",
			"\nfields:\n", "\nfields:\n  another_note:      { class: signal,       type: string, max: 100 }\n")
		must(t, os.WriteFile(conf, []byte(cfgC), 0o644))
		must(t, os.WriteFile(filepath.Join(pol, "broken.rego"), []byte("package livc.cells.zonnedaal\n\nwithhold contains if {\n"), 0o644))
		sighup(t, b, "policy reload failed; the previous policy stays in force")
		if st := submit("jeugddienst", signal("")); st != 403 {
			t.Fatalf("jeugddienst after the failed reload that seated it: %d, want B's 403", st)
		}
		if st := submit("clb", signal(`"another_note":"x",`)); st != 422 {
			t.Fatalf("a field of the failed reload's catalogue: %d, want 422", st)
		}
		if st := submit("clb", signal(`"reload_note":"still there",`)); st != 201 {
			t.Fatalf("B's field after the failed reload: %d, want 201", st)
		}
	})
}

// replaceAll applies old, new pairs to s, each of which must occur.
func replaceAll(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the configuration has no %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// startSlowPost sends a POST's headers and the first half of body, and
// returns the connection (to send the rest on) and its reader.
func startSlowPost(t *testing.T, b *brokerProc, path string, body []byte, headers ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(b.URL, "http://"))
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	var req strings.Builder
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: broker\r\nContent-Length: %d\r\n", path, len(body))
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&req, "%s: %s\r\n", headers[i], headers[i+1])
	}
	req.WriteString("\r\n")
	_, err = conn.Write(append([]byte(req.String()), body[:len(body)/2]...))
	must(t, err)
	return conn, bufio.NewReader(conn)
}
