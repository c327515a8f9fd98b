package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestStatsNotSteerable checks that a member of the strategic table that
// may also submit signals (the police, pz) cannot calibrate a "<5" by
// submitting signals and watching signals.by_month step to 5: what it sees
// of a month leaves its own signals out, while everyone else counts them.
func TestStatsNotSteerable(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	seq := 0
	submit := func(actor string, n int) {
		t.Helper()
		for range n {
			seq++
			body := seal(t, keys.Recipients[0], signalJSON(validNN("850730", seq), fmt.Sprintf("Stat%d", seq), "a signal"))
			r := do(t, "POST", b.URL+"/v1/signals", body, "Authorization", "Bearer "+iss.token(t, m.Livc, actor),
				"LIVC-Purpose", "signal", "Content-Type", "application/age")
			if r.Status != 201 {
				t.Fatalf("%s submits: %d %s", actor, r.Status, r.Body)
			}
		}
	}
	month := time.Now().UTC().Format("2006-01")
	seen := func(actor string) string {
		t.Helper()
		r := do(t, "GET", b.URL+"/v1/stats", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, actor), "LIVC-Purpose", "policy")
		var st struct {
			Signals struct {
				ByMonth map[string]any `json:"by_month"`
			} `json:"signals"`
		}
		r.json(t, &st)
		if r.Status != 200 {
			t.Fatalf("%s reads stats: %d %s", actor, r.Status, r.Body)
		}
		if time.Now().UTC().Format("2006-01") != month {
			t.Skip("the month changed during the test")
		}
		if v, ok := st.Signals.ByMonth[month]; ok {
			return fmt.Sprint(v)
		}
		return "0"
	}
	steps := []struct {
		name      string
		actor     string // who submits
		n         int
		pz, mayor string // what pz and burgemeester then see of the month
		others    string
	}{
		{"four by the OCMW", "ocmw", 4, "<5", "<5", "<5"},
		{"one by the police: pz sees no step", "pz", 1, "<5", "5", "5"},
		{"five more by the police", "pz", 5, "<5", "10", "10"},
		{"one more by the OCMW: pz sees it", "ocmw", 1, "5", "11", "11"},
		{"the mayor's own signal moves only the others' view", "burgemeester", 1, "6", "11", "12"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			submit(s.actor, s.n)
			for actor, want := range map[string]string{"pz": s.pz, "burgemeester": s.mayor, "preventie": s.others} {
				if got := seen(actor); got != want {
					t.Errorf("%s sees %s signals this month, want %s", actor, got, want)
				}
			}
		})
	}
}
