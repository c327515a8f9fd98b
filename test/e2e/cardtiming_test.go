package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCardTimingOffRoster: for an actor off the roster, a card read of a
// person with 400 records takes the time of a card read of a pseudonym
// nobody knows (medians within 20%): the broker decides what the requester
// may see from the person's dossiers before it reads or opens a record.
func TestCardTimingOffRoster(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--rate-limit", "0", "--actor-rate-limit", "0")
	m := loadModel(t)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)

	nn := validNN("880214", 31)
	ocmw := iss.token(t, m.Livc, "ocmw")
	for i := range 400 {
		plain, _ := json.Marshal(map[string]any{"subject": map[string]any{"national_number": nn},
			"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"signal_text": fmt.Sprintf("record %d of many", i), "presence": "absent"}})
		r := do(t, "POST", b.URL+"/v1/signals", seal(t, keys.Recipients[0], plain),
			"Authorization", "Bearer "+ocmw, "LIVC-Purpose", "signal", "Content-Type", "application/age")
		if r.Status != 201 {
			t.Fatalf("submission %d: %d %s", i, r.Status, r.Body)
		}
	}
	plain, _ := json.Marshal(map[string]any{"subject": map[string]any{"national_number": nn}})
	r := do(t, "POST", b.URL+"/v1/subjects/lookup", seal(t, keys.Recipients[0], plain),
		"Authorization", "Bearer "+iss.token(t, m.Livc, "pz"), "LIVC-Purpose", "case_conference", "Content-Type", "application/age")
	known := jsonField(t, r.Body, "subject_ref")
	if r.Status != 200 || known == "" {
		t.Fatalf("lookup: %d %s", r.Status, r.Body)
	}
	unknown := "s_" + strings.Repeat("q", 26)

	vsse := iss.token(t, m.Livc, "vsse") // operational table, on no roster
	read := func(ref string) time.Duration {
		req, _ := http.NewRequest("GET", b.URL+"/v1/subjects/"+ref+"/card", nil)
		req.Header.Set("Authorization", "Bearer "+vsse)
		req.Header.Set("LIVC-Purpose", "case_conference")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp)
		took := time.Since(start)
		if resp.StatusCode != 404 {
			t.Fatalf("off the roster reads %s: %d", ref, resp.StatusCode)
		}
		return took
	}
	for range 30 { // warm up connections, caches and the policy
		read(known)
		read(unknown)
	}
	const n = 300
	var k, u []time.Duration
	for i := range n { // interleaved, each kind first half of the time
		if i%2 == 0 {
			k, u = append(k, read(known)), append(u, read(unknown))
		} else {
			u, k = append(u, read(unknown)), append(k, read(known))
		}
	}
	mk, mu := median(k), median(u)
	ratio := float64(mk) / float64(mu)
	t.Logf("median card read off the roster: 400 records %v, unknown %v (ratio %.2f)", mk, mu, ratio)
	if ratio > 1.2 || ratio < 1/1.2 {
		t.Errorf("a person with 400 records takes %.2f times an unknown pseudonym (%v vs %v)", ratio, mk, mu)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
