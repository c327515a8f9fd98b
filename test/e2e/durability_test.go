package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ack is a submission the broker answered 201.
type ack struct {
	actor, id, ref, marker, auditID string
}

// TestDurability runs Redis with appendonly yes and appendfsync always,
// drives submissions and card reads from concurrent clients, kills Redis
// with SIGKILL several times and the broker once, restarts both, and checks
// that every signal answered 201 is stored and readable by its submitter and
// that every answered X-Audit-Id is in the cell's audit log, whose indexes
// run without a gap and which verifies (GET /v1/audit/verify).
func TestDurability(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	data := t.TempDir() // the broker's keys survive its restart
	start := func() *brokerProc {
		return startBroker(t, rs.Addr, iss, "--config", examplePath, "--data", data, "--rate-limit", "0", "--actor-rate-limit", "0")
	}
	var cur atomic.Pointer[brokerProc]
	cur.Store(start())
	var keys struct{ Recipients []string }
	do(t, "GET", cur.Load().URL+"/v1/keys", nil).json(t, &keys)

	actors := []string{"ocmw", "clb"}
	tokens := map[string]string{}
	for _, a := range actors {
		tokens[a] = "Bearer " + iss.token(t, m.Livc, a)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	var (
		mu       sync.Mutex
		acks     []ack
		auditIDs = map[string]bool{}
		answered atomic.Int64
		refused  atomic.Int64 // 503 while Redis was down
		lost     atomic.Int64 // no answer: the broker was killed mid-request
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		seq      atomic.Int64
	)
	send := func(r *http.Request) (int, http.Header, []byte) {
		resp, err := client.Do(r)
		if err != nil {
			lost.Add(1) // killed mid-request: not acknowledged
			return 0, nil, nil
		}
		defer resp.Body.Close()
		var b []byte
		b, err = readAll(resp)
		if err != nil {
			return 0, nil, nil
		}
		answered.Add(1)
		if resp.StatusCode == 503 {
			refused.Add(1)
		}
		if id := resp.Header.Get("X-Audit-Id"); id != "" && resp.StatusCode < 500 {
			mu.Lock()
			auditIDs[id] = true
			mu.Unlock()
		}
		return resp.StatusCode, resp.Header, b
	}
	coordinator := "Bearer " + iss.token(t, m.Livc, "preventie")
	// refNow asks the coordinator's intake, newest first, for the pseudonym
	// of signal id ("" when it cannot tell now: a submission answers its
	// id only).
	refNow := func(base, id string) string {
		r, _ := http.NewRequest("GET", base+"/v1/signals?limit=100", nil)
		r.Header.Set("Authorization", coordinator)
		r.Header.Set("LIVC-Purpose", "case_conference")
		status, _, body := send(r)
		var page struct {
			Items []intakeEntry `json:"items"`
		}
		if status != 200 || json.Unmarshal(body, &page) != nil {
			return ""
		}
		for _, e := range page.Items {
			if e.ID == id {
				return e.SubjectRef
			}
		}
		return ""
	}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := actors[w%len(actors)]
			for {
				select {
				case <-stop:
					return
				default:
				}
				base := cur.Load().URL
				i := seq.Add(1)
				marker := fmt.Sprintf("durable-%d-%d", w, i)
				plain, _ := json.Marshal(map[string]any{
					"subject":     map[string]any{"family_name": fmt.Sprintf("Durable%d", i), "given_name": "Test", "birth_date": "1990-01-01"},
					"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"signal_text": marker}})
				r, _ := http.NewRequest("POST", base+"/v1/signals", bytesReader(seal(t, keys.Recipients[0], plain)))
				r.Header.Set("Authorization", tokens[actor])
				r.Header.Set("LIVC-Purpose", "signal")
				r.Header.Set("Content-Type", "application/age")
				status, h, body := send(r)
				if status == 201 {
					var rc struct {
						ID string `json:"id"`
					}
					if err := json.Unmarshal(body, &rc); err != nil || rc.ID == "" {
						t.Errorf("201 without a receipt: %s", body)
						return
					}
					ref := refNow(base, rc.ID)
					mu.Lock()
					acks = append(acks, ack{actor, rc.ID, ref, marker, h.Get("X-Audit-Id")})
					mu.Unlock()
				} else if status != 0 && status != 503 {
					t.Errorf("submission answered %d: %s", status, body)
				}
				// Read back a card acknowledged earlier, as its submitter.
				mu.Lock()
				var a ack
				if len(acks) > 0 {
					a = acks[int(i)%len(acks)]
				}
				mu.Unlock()
				if a.ref != "" {
					r, _ := http.NewRequest("GET", base+"/v1/subjects/"+url.PathEscape(a.ref)+"/card", nil)
					r.Header.Set("Authorization", tokens[a.actor])
					r.Header.Set("LIVC-Purpose", "case_conference")
					if status, _, body := send(r); status != 0 && status != 200 && status != 503 {
						t.Errorf("card read answered %d: %s", status, body)
					}
				}
			}
		}()
	}
	pause := func(d time.Duration) { time.Sleep(d) }
	killRedis := func() {
		rs.cmd.Process.Signal(syscall.SIGKILL)
		rs.cmd.Wait()
		rs.cmd = nil
		pause(time.Second) // long enough for requests to find Redis gone
		rs.start(t)
	}
	pause(time.Second)
	killRedis()
	pause(time.Second)
	killRedis()
	pause(time.Second)
	// Kill the broker mid-run, and start a new one on the same keys.
	old := cur.Load()
	old.cmd.Process.Signal(syscall.SIGKILL)
	old.cmd.Wait()
	cur.Store(start())
	pause(time.Second)
	killRedis()
	pause(time.Second)
	close(stop)
	wg.Wait()
	// Restart both once more before checking.
	killRedis()
	b := cur.Load()
	b.cmd.Process.Signal(syscall.SIGKILL)
	b.cmd.Wait()
	b = start()

	t.Logf("%d requests answered (%d of them 503), %d unanswered; %d signals acknowledged, %d audit ids answered",
		answered.Load(), refused.Load(), lost.Load(), len(acks), len(auditIDs))
	if len(acks) < 20 || refused.Load() == 0 {
		t.Fatalf("%d signals acknowledged, %d refused while Redis was down: the test proves too little", len(acks), refused.Load())
	}
	refs := map[string]string{}
	for _, e := range intake(t, b.URL, iss.token(t, m.Livc, "preventie"), "") {
		refs[e.ID] = e.SubjectRef
	}
	for _, a := range acks {
		if a.ref != "" && refs[a.id] != a.ref {
			t.Errorf("signal %s was about %s, the intake now says %s", a.id, a.ref, refs[a.id])
		}
		a.ref = refs[a.id]
		r := do(t, "GET", b.URL+"/v1/subjects/"+a.ref+"/card", nil,
			"Authorization", tokens[a.actor], "LIVC-Purpose", "case_conference")
		if r.Status != 200 {
			t.Errorf("signal %s answered 201 is not readable: %d %s", a.id, r.Status, r.Body)
			continue
		}
		var card struct {
			Fields map[string][]struct {
				Value  any    `json:"value"`
				Record string `json:"record"`
			} `json:"fields"`
		}
		r.json(t, &card)
		found := false
		for _, v := range card.Fields["signal_text"] {
			found = found || (v.Record == a.id && v.Value == a.marker)
		}
		if !found {
			t.Errorf("signal %s answered 201 is not on its submitter's card: %s", a.id, r.Body)
		}
	}
	// Every answered audit id is in the log; the log's indexes are 0..n-1.
	logged := map[string]bool{}
	var indexes []int64
	cursor := ""
	for {
		r := do(t, "GET", b.URL+"/v1/audit?limit=1000&cursor="+url.QueryEscape(cursor), nil,
			"Authorization", "Bearer "+iss.token(t, m.Livc, "dpo"), "LIVC-Purpose", "audit_review")
		if r.Status != 200 {
			t.Fatalf("audit list: %d %s", r.Status, r.Body)
		}
		var page struct {
			Items      []auditEntry `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		r.json(t, &page)
		for _, e := range page.Items {
			logged[e.ID] = true
			if e.Index != nil {
				indexes = append(indexes, *e.Index)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	brokerStream := brokerStreamIDs(t, rs)
	missing := 0
	for id := range auditIDs {
		if !logged[id] && !brokerStream[id] {
			missing++
			t.Errorf("answered audit id %s is not in the log", id)
		}
	}
	for i, ix := range indexes {
		if ix != int64(i) {
			t.Fatalf("audit log index %d at position %d: a gap or a duplicate", ix, i)
		}
	}
	t.Logf("audit log: %d entries, indexes 0..%d without a gap", len(indexes), len(indexes)-1)
	if missing > 0 {
		t.Fatalf("%d answered audit ids are not in the log", missing)
	}
	// And the log survived the kills whole: its hash tree, checkpoints and
	// entries verify, as the privacy officer would check.
	r := do(t, "GET", b.URL+"/v1/audit/verify", nil,
		"Authorization", "Bearer "+iss.token(t, m.Livc, "dpo"), "LIVC-Purpose", "audit_review")
	var v struct {
		OK      bool            `json:"ok"`
		Problem json.RawMessage `json:"problem"`
	}
	if r.json(t, &v); r.Status != 200 || !v.OK {
		t.Fatalf("the audit log does not verify after the kills: %d %s", r.Status, r.Body)
	}
}

// brokerStreamIDs returns the ids of the entries in the broker's own stream
// (failed authentications of no verified cell), read raw from Redis.
func brokerStreamIDs(t testing.TB, rs *redisServer) map[string]bool {
	t.Helper()
	c := rs.client(t)
	msgs, err := c.XRange(t.Context(), "livc:{livc:_broker}:audit", "-", "+").Result()
	must(t, err)
	out := map[string]bool{}
	for _, msg := range msgs {
		var e struct{ ID string }
		if s, ok := msg.Values["entry"].(string); ok && json.Unmarshal([]byte(s), &e) == nil {
			out[e.ID] = true
		}
	}
	return out
}

func readAll(resp *http.Response) ([]byte, error) {
	var buf []byte
	tmp := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			if err.Error() == "EOF" {
				return buf, nil
			}
			return buf, err
		}
	}
}
