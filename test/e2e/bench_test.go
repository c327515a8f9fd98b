package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"
)

// benchBroker is a broker on its own Redis with one person on a dossier
// whose roster holds the police.
type benchBroker struct {
	b     *brokerProc
	iss   *issuerKey
	recip string
	ref   string
}

func newBenchBroker(b *testing.B) *benchBroker {
	m := loadModel(b)
	iss := newIssuer(b)
	rs := startRedis(b)
	br := startBroker(b, rs.Addr, iss, "--config", examplePath, "--rate-limit", "0", "--actor-rate-limit", "0") // measures the pipeline, not the rate limit
	var keys struct{ Recipients []string }
	do(b, "GET", br.URL+"/v1/keys", nil).json(b, &keys)
	bb := &benchBroker{b: br, iss: iss, recip: keys.Recipients[0]}
	var sigs []string
	for _, s := range story {
		plain, _ := json.Marshal(map[string]any{"subject": s.subject, "observed_at": "2026-11-20T09:30:00Z", "fields": s.fields})
		r := do(b, "POST", br.URL+"/v1/signals", seal(b, bb.recip, plain),
			"Authorization", "Bearer "+iss.token(b, m.Livc, s.actor), "LIVC-Purpose", "signal", "Content-Type", "application/age")
		sigs = append(sigs, jsonField(b, r.Body, "id"))
	}
	bb.ref = refOf(b, br.URL, iss.token(b, m.Livc, "preventie"), sigs[0])
	coord := []string{"Authorization", "Bearer " + iss.token(b, m.Livc, "preventie"), "LIVC-Purpose", "case_conference", "Content-Type", "application/json"}
	r := do(b, "POST", br.URL+"/v1/cases", []byte(fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, bb.ref, sigs[0])), coord...)
	id := jsonField(b, r.Body, "id")
	if r := do(b, "PUT", br.URL+"/v1/cases/"+id+"/roster", []byte(`{"actors":["pz","ocmw"]}`), coord...); r.Status != 200 {
		b.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	return bb
}

// runTimed runs op b.N times and reports the median and p99 latency.
func runTimed(b *testing.B, op func() int, want int) {
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if got := op(); got != want {
			b.Fatalf("status %d, want %d", got, want)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkCardRead is one police officer reading a card of 8 records, end
// to end over HTTP: token, purpose, roster, decision, decrypt, release, audit.
func BenchmarkCardRead(b *testing.B) {
	bb := newBenchBroker(b)
	tok := bb.iss.token(b, "zonnedaal", "pz")
	req, _ := http.NewRequest("GET", bb.b.URL+"/v1/subjects/"+bb.ref+"/card", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("LIVC-Purpose", "case_conference")
	runTimed(b, func() int {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		drain(resp)
		return resp.StatusCode
	}, 200)
}

// BenchmarkSubmitSignal is one social worker submitting a signal end to end:
// token, envelope open, validation, decision, audit, seal, store. The
// envelopes are made before the timer starts.
func BenchmarkSubmitSignal(b *testing.B) {
	bb := newBenchBroker(b)
	tok := bb.iss.token(b, "zonnedaal", "ocmw")
	plain, _ := json.Marshal(map[string]any{"subject": nnSubject, "observed_at": "2026-11-20T09:30:00Z",
		"fields": map[string]any{"signal_text": "a signal of about a hundred characters, as a social worker would type it in a hurry", "presence": "absent"}})
	envs := make([][]byte, b.N)
	for i := range envs {
		envs[i] = seal(b, bb.recip, plain)
	}
	i := 0
	runTimed(b, func() int {
		req, _ := http.NewRequest("POST", bb.b.URL+"/v1/signals", bytesReader(envs[i]))
		i++
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("LIVC-Purpose", "signal")
		req.Header.Set("Content-Type", "application/age")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		drain(resp)
		return resp.StatusCode
	}, 201)
}
