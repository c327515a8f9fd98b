package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// TestAuditConcurrentAppends: two broker processes on one Redis and 32
// clients append entries; the log verifies, holds exactly as many entries as
// were answered, and every answered X-Audit-Id has an inclusion proof that
// checks against a signed checkpoint. LIVC_AUDIT_LOAD sets the number of
// entries, 20,000 by default (about 10s on two cores).
func TestAuditConcurrentAppends(t *testing.T) {
	total := 20000
	if v := os.Getenv("LIVC_AUDIT_LOAD"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("LIVC_AUDIT_LOAD=%q", v)
		}
		total = n
	}
	const clients = 32
	iss := newIssuer(t)
	rs := startRedis(t)
	// Both processes share one key directory, as in production.
	shared := t.TempDir()
	brokers := []*brokerProc{startBroker(t, rs.Addr, iss, "--data", shared, "--rate-limit", "0", "--actor-rate-limit", "0"), startBroker(t, rs.Addr, iss, "--data", shared, "--rate-limit", "0", "--actor-rate-limit", "0")}
	tok := iss.token(t, "zonnedaal", "pz")
	ids := make(chan string, total)
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			url := brokers[c%2].URL + "/v1/subjects/s_unknown/card"
			for next.Add(1) <= int64(total) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("LIVC-Purpose", "case_conference")
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				drain(resp)
				if resp.StatusCode != 404 || resp.Header.Get("X-Audit-Id") == "" {
					t.Errorf("answer %d without audit id", resp.StatusCode)
					return
				}
				ids <- resp.Header.Get("X-Audit-Id")
			}
		})
	}
	wg.Wait()
	close(ids)
	if t.Failed() {
		return
	}
	answered := map[string]bool{}
	var quoted string
	for id := range ids {
		answered[id] = true
		quoted = id
	}
	if len(answered) != total {
		t.Fatalf("%d distinct audit ids for %d answers", len(answered), total)
	}
	c := rs.client(t)
	if n, err := c.XLen(context.Background(), demoStream).Result(); err != nil || n != int64(total) {
		t.Fatalf("the log holds %d entries (%v), want exactly %d", n, err, total)
	}

	// Every answered id is in an export of the first total entries, with a
	// proof that checks against the export's signed checkpoint.
	lab := &auditLab{t: t, iss: iss, broker: brokers[1]}
	var keys broker.PublicKeys
	do(t, "GET", brokers[0].URL+"/v1/keys", nil).json(t, &keys)
	proven := 0
	for from := int64(0); from < int64(total); {
		r := lab.get("dpo", "/v1/audit/export?limit=1000&from="+strconv.FormatInt(from, 10), "audit_review")
		if r.Status != 200 {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		var x broker.Export
		r.json(t, &x)
		cp, err := auditlog.Open([]byte(x.Checkpoint), keys.CheckpointKey, auditlog.Origin("zonnedaal"))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range x.Items {
			if it.Index >= int64(total) {
				break
			}
			var e struct{ ID string }
			must(t, json.Unmarshal(it.Entry, &e))
			p, err := auditlog.DecodeProof(it.Proof)
			must(t, err)
			if err := tlog.CheckRecord(p, cp.Size, cp.Hash, it.Index, tlog.RecordHash(it.Entry)); err != nil {
				t.Fatalf("entry %d: inclusion proof: %v", it.Index, err)
			}
			if answered[e.ID] {
				proven++
				delete(answered, e.ID)
			}
		}
		if len(x.Items) == 0 {
			t.Fatal("export ends early")
		}
		from = x.Items[len(x.Items)-1].Index + 1
	}
	if proven != total || len(answered) != 0 {
		t.Fatalf("%d answered ids proven, %d without a proof", proven, len(answered))
	}
	// One by its id, as a user would quote it, asked of the other process.
	lab.broker = brokers[0]
	r := lab.get("dpo", "/v1/audit/proof?id="+quoted, "audit_review")
	var ip broker.InclusionProof
	r.json(t, &ip)
	cp, err := auditlog.Open([]byte(ip.Checkpoint), keys.CheckpointKey, auditlog.Origin("zonnedaal"))
	must(t, err)
	p, err := auditlog.DecodeProof(ip.Proof)
	must(t, err)
	if err := tlog.CheckRecord(p, cp.Size, cp.Hash, ip.Index, tlog.RecordHash(ip.Entry)); err != nil || !json.Valid(ip.Entry) {
		t.Fatalf("proof of %s: %v", quoted, err)
	}
	if v := lab.verify(); !v.OK {
		t.Fatalf("the log does not verify: %+v", v.Problem)
	}
}
