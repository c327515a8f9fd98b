package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// retentionWorld is a Redis, brokers whose clock the test moves (through
// the [INSECURE] LIVC_INSECURE_CLOCK file, accepted on development keys
// only) and expire what is due every 100ms, and the signals it submitted.
type retentionWorld struct {
	t       *testing.T
	model   *cellModel
	iss     *issuerKey
	redis   *redisServer
	brokers []*brokerProc
	clock   string
	recip   string
}

func newRetentionWorld(t *testing.T, brokers int) *retentionWorld {
	w := &retentionWorld{t: t, model: loadModel(t), iss: newIssuer(t), clock: filepath.Join(t.TempDir(), "clock")}
	w.setClock(0)
	t.Setenv("LIVC_INSECURE_CLOCK", w.clock)
	w.redis = startRedis(t)
	data := t.TempDir() // one set of broker keys for all of them
	for range brokers {
		w.brokers = append(w.brokers, startBroker(t, w.redis.Addr, w.iss, "--config", examplePath, "--data", data, "--retention-every", "100ms"))
	}
	var keys struct{ Recipients []string }
	do(t, "GET", w.brokers[0].URL+"/v1/keys", nil).json(t, &keys)
	w.recip = keys.Recipients[0]
	return w
}

// setClock moves the brokers' clock days ahead of the real time.
func (w *retentionWorld) setClock(days int) {
	must(w.t, os.WriteFile(w.clock, []byte(fmt.Sprintf("%dh", 24*days)), 0o644))
	time.Sleep(200 * time.Millisecond) // the brokers read it every 50ms
}

// send makes a request of actor to the i-th broker.
func (w *retentionWorld) send(i int, method, actor, purpose, path string, body []byte) response {
	w.t.Helper()
	return do(w.t, method, w.brokers[i%len(w.brokers)].URL+path, body,
		"Authorization", "Bearer "+w.iss.token(w.t, w.model.Livc, actor), "LIVC-Purpose", purpose, "Content-Type", "application/json")
}

// submit sends actor's signal about subject and returns its id and ref.
func (w *retentionWorld) submit(actor string, subject map[string]any) (string, string) {
	w.t.Helper()
	plain, _ := json.Marshal(map[string]any{"subject": subject, "observed_at": "2026-11-20T09:30:00Z",
		"fields": map[string]any{"signal_text": "SECRET-retention-signal", "presence": "absent"}})
	r := do(w.t, "POST", w.brokers[0].URL+"/v1/signals", seal(w.t, w.recip, plain),
		"Authorization", "Bearer "+w.iss.token(w.t, w.model.Livc, actor), "LIVC-Purpose", "signal", "Content-Type", "application/age")
	if r.Status != 201 {
		w.t.Fatalf("%s submits: %d %s", actor, r.Status, r.Body)
	}
	id := jsonField(w.t, r.Body, "id")
	return id, refOf(w.t, w.brokers[0].URL, w.iss.token(w.t, w.model.Livc, "preventie"), id)
}

func (w *retentionWorld) dismiss(i int, id string) {
	w.t.Helper()
	if r := w.send(i, "POST", "preventie", "case_conference", "/v1/signals/"+id+"/dismissal", []byte(`{"reason":"no follow-up"}`)); r.Status != 200 {
		w.t.Fatalf("dismiss %s: %d %s", id, r.Status, r.Body)
	}
}

// state is signal id's state in the intake, "" when it is not there.
func (w *retentionWorld) state(id string) string {
	w.t.Helper()
	for _, e := range intake(w.t, w.brokers[0].URL, w.iss.token(w.t, w.model.Livc, "preventie"), "") {
		if e.ID == id {
			return e.State
		}
	}
	return ""
}

// waitExpired waits until every signal of ids is expired in the intake.
func (w *retentionWorld) waitExpired(ids ...string) {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, id := range ids {
		for w.state(id) != "expired" {
			if time.Now().After(deadline) {
				w.t.Fatalf("signal %s is %q, not expired", id, w.state(id))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// expiries returns the cell's retention.expire entries.
func (w *retentionWorld) expiries() []auditEntry {
	w.t.Helper()
	var page struct{ Items []auditEntry }
	r := w.send(0, "GET", "dpo", "audit_review", "/v1/audit?action=retention.expire&limit=1000", nil)
	if r.Status != 200 {
		w.t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	r.json(w.t, &page)
	return page.Items
}

// scheduled reads GET /v1/retention?days=days as the coordinator: id ->
// expiry.
func (w *retentionWorld) scheduled(days int) map[string]time.Time {
	w.t.Helper()
	r := w.send(0, "GET", "preventie", "case_conference", fmt.Sprintf("/v1/retention?days=%d", days), nil)
	if r.Status != 200 {
		w.t.Fatalf("retention: %d %s", r.Status, r.Body)
	}
	var page struct {
		Items []struct {
			Kind, ID  string
			ExpiresAt time.Time `json:"expires_at"`
		}
	}
	r.json(w.t, &page)
	out := map[string]time.Time{}
	for _, it := range page.Items {
		out[it.ID] = it.ExpiresAt
	}
	return out
}

func (w *retentionWorld) hasKey(ref string) bool {
	n, err := w.redis.client(w.t).Exists(context.Background(), "livc:{livc:"+w.model.Livc+"}:subject:"+ref+":datakey").Result()
	must(w.t, err)
	return n == 1
}

// TestRetention: the coordinator sees what expires when; the broker erases
// a dismissed signal 180 days after its dismissal (a minor's after 90,
// minors.retention), and a closed dossier 1,095 days after its closing,
// each audited retention.expire once, crypto-shredding a person with
// nothing left.
func TestRetention(t *testing.T) {
	w := newRetentionWorld(t, 1)
	minorBirth := time.Now().UTC().AddDate(-16, 0, 0).Format(time.DateOnly)
	adult, adultRef := w.submit("ocmw", map[string]any{"family_name": "Oudeman", "given_name": "Ada", "birth_date": "1980-01-01"})
	minor, minorRef := w.submit("clb", map[string]any{"family_name": "Jongeman", "given_name": "Mo", "birth_date": minorBirth})
	closedSig, closedRef := w.submit("pz", map[string]any{"family_name": "Dicht", "given_name": "Cas", "birth_date": "1975-05-05"})
	w.dismiss(0, adult)
	w.dismiss(0, minor)
	body, _ := json.Marshal(map[string]any{"subject_ref": closedRef, "signal_ids": []string{closedSig}, "category": "radicalisation"})
	r := w.send(0, "POST", "preventie", "case_conference", "/v1/cases", body)
	if r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")
	for _, to := range []string{"formation", "weighing", "closed"} {
		if r := w.send(0, "POST", "preventie", "case_conference", "/v1/cases/"+caseID+"/transitions", []byte(`{"to":"`+to+`","reason":"r"}`)); r.Status != 200 {
			t.Fatalf("move to %s: %d %s", to, r.Status, r.Body)
		}
	}
	now := time.Now().UTC()
	near := func(got time.Time, days int) bool {
		want := now.AddDate(0, 0, days)
		return got.After(want.Add(-time.Hour)) && got.Before(want.Add(time.Hour))
	}

	t.Run("the coordinator sees what expires when", func(t *testing.T) {
		if s := w.scheduled(30); len(s) != 0 {
			t.Errorf("due within 30 days: %v, want none", s)
		}
		s := w.scheduled(100)
		if !near(s[minor], 90) || len(s) != 1 {
			t.Errorf("due within 100 days: %v, want the minor's signal at 90 days", s)
		}
		s = w.scheduled(200)
		if !near(s[adult], 180) || !near(s[minor], 90) || len(s) != 2 {
			t.Errorf("due within 200 days: %v, want the adult's at 180 and the minor's at 90", s)
		}
		if s = w.scheduled(1100); !near(s[caseID], 1095) || len(s) != 3 {
			t.Errorf("due within 1100 days: %v, want the closed dossier at 1095 too", s)
		}
	})
	t.Run("the schedule is the coordinator's; the query is judged after", func(t *testing.T) {
		if r := w.send(0, "GET", "pz", "case_conference", "/v1/retention?days=x", nil); r.Status != 403 {
			t.Errorf("police: %d %s, want 403", r.Status, r.Body)
		}
		if r := w.send(0, "GET", "preventie", "prioritisation", "/v1/retention", nil); r.Status != 403 {
			t.Errorf("under prioritisation: %d %s, want 403", r.Status, r.Body)
		}
		for _, q := range []string{"days=x", "days=-1", "days=99999"} {
			if r := w.send(0, "GET", "preventie", "case_conference", "/v1/retention?"+q, nil); r.Status != 422 || !strings.Contains(string(r.Body), `"days`) {
				t.Errorf("?%s: %d %s, want 422 naming days", q, r.Status, r.Body)
			}
		}
	})
	t.Run("nothing expires before its time", func(t *testing.T) {
		w.setClock(89)
		time.Sleep(700 * time.Millisecond) // several runs
		if s := w.state(minor); s != "dismissed" || len(w.expiries()) != 0 {
			t.Fatalf("the minor's signal at 89 days: %s, %d expiries", s, len(w.expiries()))
		}
	})
	t.Run("a minor's signal expires after 90 days, the adult's does not", func(t *testing.T) {
		w.setClock(91)
		w.waitExpired(minor)
		if s := w.state(adult); s != "dismissed" {
			t.Errorf("the adult's signal at 91 days: %s", s)
		}
		if w.hasKey(minorRef) {
			t.Error("the minor, with nothing left, still has a data key: not crypto-shredded")
		}
		if r := w.send(0, "GET", "clb", "signal", "/v1/signals/mine", nil); !strings.Contains(string(r.Body), `"expired"`) {
			t.Errorf("the signaller's own list: %s, want the signal expired", r.Body)
		}
		if r := w.send(0, "GET", "clb", "signal", "/v1/subjects/"+minorRef+"/card", nil); r.Status != 404 {
			t.Errorf("the expired person's card for its own signaller: %d %s, want the uniform 404", r.Status, r.Body)
		}
	})
	t.Run("the adult's signal expires after 180 days", func(t *testing.T) {
		w.setClock(181)
		w.waitExpired(adult)
		if w.hasKey(adultRef) {
			t.Error("the adult, with nothing left, still has a data key")
		}
		if r := w.send(0, "GET", "preventie", "case_conference", "/v1/cases/"+caseID, nil); r.Status != 200 {
			t.Errorf("the closed dossier at 181 days: %d, want it still there", r.Status)
		}
	})
	t.Run("a closed dossier expires after 1,095 days", func(t *testing.T) {
		w.setClock(1096)
		w.waitExpired(closedSig)
		if r := w.send(0, "GET", "preventie", "case_conference", "/v1/cases/"+caseID, nil); r.Status != 404 {
			t.Errorf("the expired dossier: %d %s, want 404", r.Status, r.Body)
		}
		if w.hasKey(closedRef) {
			t.Error("the dossier's person, with nothing left, still has a data key")
		}
	})
	t.Run("each item is audited retention.expire once", func(t *testing.T) {
		time.Sleep(300 * time.Millisecond)
		got := map[string]int{}
		for _, e := range w.expiries() {
			if e.Decision != "allow" || e.Actor != "livc-broker" {
				t.Errorf("entry %+v", e)
			}
			for _, id := range []string{adult, minor, caseID} {
				if strings.Contains(e.Reason, id) {
					got[id]++
				}
			}
			if strings.Contains(e.Reason, "SECRET") {
				t.Errorf("an expiry's entry holds a value: %s", e.Reason)
			}
		}
		for _, id := range []string{adult, minor, caseID} {
			if got[id] != 1 {
				t.Errorf("%s expired %d times in the log, want once", id, got[id])
			}
		}
	})
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.redis.client(t), w.model.Livc) })
}
