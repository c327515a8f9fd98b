package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/redis/go-redis/v9"
)

// floodSize is how many refused requests TestAuthFlood sends:
// LIVC_E2E_FLOOD, default the contract's 100,000.
func floodSize(t *testing.T) int {
	n := 100_000
	if v := os.Getenv("LIVC_E2E_FLOOD"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("LIVC_E2E_FLOOD=%q: want a count of at least 1000", v)
		}
	}
	return n
}

// TestAuthFlood: a flood of refused requests whose tokens claim the cell
// (signed by a key the broker does not trust, under its issuer's kid or
// another, unsigned, garbage, or no token at all), sent concurrently, costs
// the attacker and not the cell: no audit log grows by 1,000 entries (the
// cell's not at all but for the card reads made meanwhile), every refusal
// is the same 401, card reads of the cell keep answering 200, and once the
// broker stops, the broker's log accounts for every refusal: one by one
// up to the rate, the rest in summaries, none of them holding anything the
// tokens claimed.
func TestAuthFlood(t *testing.T) {
	n := floodSize(t)
	w := submittedWorld(t, examplePath)
	rc := w.redis.client(t)
	before := auditLengths(t, rc)

	tokens := floodTokens(t, w.model.Livc)
	var refused, audited atomic.Int64
	var wrong sync.Map // a refusal answered otherwise: status and body
	want, probeAudited := problemShape(t, w, tokens[0])
	type shot struct{ token, forwarded string }
	flood := make(chan shot, 1024)
	go func() {
		for i := range n {
			// A new address claimed per request: X-Forwarded-For is not
			// read from a peer that is not a trusted proxy.
			flood <- shot{tokens[i%len(tokens)], fmt.Sprintf("198.51.%d.%d", i>>8&255, i&255)}
		}
		close(flood)
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	start := time.Now()
	for range 32 {
		wg.Go(func() {
			for s := range flood {
				status, body, auditID := floodOne(client, w.broker.URL+"/v1/subjects/"+w.ref+"/card", s.token, s.forwarded)
				if status != 401 || !sameProblem(body, auditID, want) {
					wrong.Store(status, string(body))
				}
				refused.Add(1)
				if auditID != "" {
					audited.Add(1)
				}
			}
		})
	}
	reads := readCardsDuring(t, w, &wg)
	took := time.Since(start)
	t.Logf("%d refused requests in %v (%.0f/s), %d with an audit id; %d card reads meanwhile",
		refused.Load(), took.Round(time.Millisecond), float64(refused.Load())/took.Seconds(), audited.Load(), reads)
	wrong.Range(func(k, v any) bool {
		t.Errorf("a refusal answered %v %s, want the one 401 %v", k, v, want)
		return false
	})

	grew := auditLengths(t, rc)
	for key, l := range grew {
		if d := l - before[key]; d >= 1000 {
			t.Errorf("%s grew by %d entries during the flood", key, d)
		}
	}
	cellLog := "livc:{livc:" + w.model.Livc + "}:audit"
	if d := grew[cellLog] - before[cellLog]; d > int64(reads) {
		t.Errorf("the cell's log grew by %d entries for %d card reads: refusals were filed there", d, reads)
	}

	// Stopping the broker writes the last summary.
	stopBroker(t, w.broker)
	entries := brokerLogSince(t, rc, before[brokerLogKey])
	var logged, counted int64
	for _, e := range entries {
		if e.Livc != "" || e.Actor != "" || e.Sub != "" || strings.Contains(e.Reason, "intruder") ||
			(e.Action == "auth.fail" && e.Client != "127.0.0.1") {
			t.Errorf("a refusal's entry holds a claim of its token or a forwarded address: %+v", e)
		}
		switch e.Action {
		case "auth.fail":
			logged++
		case "auth.fail.unlogged":
			var k int64
			if _, err := fmt.Sscan(e.Reason, &k); err != nil {
				t.Errorf("summary without a count: %+v", e)
			}
			counted += k
		}
	}
	t.Logf("the broker's log grew by %d entries: %d refusals one by one, %d counted in summaries; the cell's by %d",
		len(entries), logged, counted, grew[cellLog]-before[cellLog])
	// The probe of problemShape is one refusal more.
	if logged != audited.Load()+probeAudited || logged+counted != int64(n)+1 {
		t.Errorf("the broker's log holds %d refusals one by one and %d counted, for %d refused of which %d had an audit id",
			logged, counted, n+1, audited.Load()+probeAudited)
	}
}

// floodTokens are the attacker's tokens: each claims the cell and one of
// its actors, and none verifies.
func floodTokens(t *testing.T, livc string) []string {
	forged := newIssuer(t) // the same kid as the broker's issuer, another key
	other := newIssuer(t)
	must(t, other.priv.Set("kid", "forger-2"))
	none := func(claims string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
	}
	var out []string
	for i, actor := range []string{"pz", "ocmw", "dpo", "coordinator", "vsse", "parket", "clb", "ghost"} {
		sub := func(b *jwt.Builder) { b.Subject(fmt.Sprintf("intruder-%d", i)) }
		out = append(out, forged.token(t, livc, actor, sub), other.token(t, livc, actor, sub),
			none(fmt.Sprintf(`{"iss":%q,"aud":%q,"livc":%q,"actor":%q,"sub":"intruder-%d","exp":4102444800}`, issuer, audience, livc, actor, i)),
			"garbage."+base64.RawURLEncoding.EncodeToString([]byte(`{"livc":"`+livc+`","actor":"`+actor+`"}`))+".x")
	}
	return append(out, "", "not-a-token")
}

// floodOne sends one refused request and returns its status, body and
// audit id.
func floodOne(c *http.Client, url, tok, forwarded string) (int, []byte, string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Forwarded-For", forwarded)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("LIVC-Purpose", "case_conference")
	resp, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error()), ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header.Get("X-Audit-Id")
}

// problemShape is the 401 problem of one refused request, checked against
// the contract, without its request and audit ids; and 1 if it was audited.
func problemShape(t *testing.T, w *world, tok string) (map[string]any, int64) {
	r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil, "Authorization", "Bearer "+tok, "LIVC-Purpose", "case_conference")
	if r.Status != 401 {
		t.Fatalf("a forged token: %d %s", r.Status, r.Body)
	}
	p, ok := problemOf(r.Body, r.Header.Get("X-Audit-Id"))
	if !ok {
		t.Fatalf("the 401 problem: %s", r.Body)
	}
	if r.Header.Get("X-Audit-Id") != "" {
		return p, 1
	}
	return p, 0
}

// problemOf is a problem body without its request and audit ids, if its
// audit id is auditID (both absent when the refusal was only counted).
func problemOf(body []byte, auditID string) (map[string]any, bool) {
	var p map[string]any
	if json.Unmarshal(body, &p) != nil || p["request_id"] == nil {
		return nil, false
	}
	if id, _ := p["audit_id"].(string); id != auditID {
		return nil, false
	}
	delete(p, "request_id")
	delete(p, "audit_id")
	return p, true
}

func sameProblem(body []byte, auditID string, want map[string]any) bool {
	p, ok := problemOf(body, auditID)
	return ok && fmt.Sprint(p) == fmt.Sprint(want)
}

// readCardsDuring reads the card of the world's person as its first
// submitter, every 20 ms until flooders are done (at most 500 reads), and
// fails the test on any answer but 200; it returns how many it made.
func readCardsDuring(t *testing.T, w *world, flooders *sync.WaitGroup) int {
	done := make(chan struct{})
	go func() { flooders.Wait(); close(done) }()
	auth := "Bearer " + w.iss.token(t, w.model.Livc, "ocmw")
	reads := 0
	for ; reads < 500; reads++ {
		select {
		case <-done:
			if reads < 10 {
				t.Errorf("only %d card reads during the flood", reads)
			}
			return reads
		case <-time.After(20 * time.Millisecond):
		}
		r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil, "Authorization", auth, "LIVC-Purpose", "signal")
		if r.Status != 200 {
			t.Errorf("card read %d during the flood: %d %s", reads, r.Status, r.Body)
		}
	}
	<-done
	return reads
}

const brokerLogKey = "livc:{livc:_broker}:audit"

// auditLengths is the length of every audit stream in Redis.
func auditLengths(t *testing.T, rc *redis.Client) map[string]int64 {
	ctx := context.Background()
	out := map[string]int64{brokerLogKey: 0}
	it := rc.Scan(ctx, 0, "livc:*:audit", 1000).Iterator()
	for it.Next(ctx) {
		if typ, _ := rc.Type(ctx, it.Val()).Result(); typ == "stream" {
			n, err := rc.XLen(ctx, it.Val()).Result()
			must(t, err)
			out[it.Val()] = n
		}
	}
	must(t, it.Err())
	return out
}

// floodEntry is what TestAuthFlood reads of an entry of the broker's log.
type floodEntry struct {
	Livc, Actor, Sub, Action, Reason, Client string
}

// brokerLogSince reads the broker's log past its first skip entries.
func brokerLogSince(t *testing.T, rc *redis.Client, skip int64) []floodEntry {
	msgs, err := rc.XRange(context.Background(), brokerLogKey, "-", "+").Result()
	must(t, err)
	var out []floodEntry
	for _, m := range msgs[min(int(skip), len(msgs)):] {
		for _, v := range m.Values {
			var e floodEntry
			if s, ok := v.(string); ok && json.Unmarshal([]byte(s), &e) == nil && e.Action != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// stopBroker interrupts the broker and waits for it to exit.
func stopBroker(t *testing.T, b *brokerProc) {
	must(t, b.cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the broker did not stop within 20s")
	}
}
