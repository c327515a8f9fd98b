package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The retention schedule with several brokers, a review, and old copies of Redis.

// TestRetentionTwoBrokers: two brokers on one Redis, both expiring every
// 100ms with the same clock, erase each due signal exactly once.
func TestRetentionTwoBrokers(t *testing.T) {
	w := newRetentionWorld(t, 2)
	var ids []string
	for i := range 8 {
		id, _ := w.submit("ocmw", map[string]any{"family_name": "Twee", "given_name": fmt.Sprintf("Broker%c", 'a'+i), "birth_date": "1970-02-02"})
		w.dismiss(i, id)
		ids = append(ids, id)
	}
	w.setClock(200)
	w.waitExpired(ids...)
	time.Sleep(500 * time.Millisecond) // more runs of both
	var expired []string
	for _, e := range w.expiries() {
		for _, id := range ids {
			if strings.Contains(e.Reason, id) {
				expired = append(expired, id)
			}
		}
	}
	slices.Sort(expired)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(expired, want) {
		t.Fatalf("expiries in the log: %v, want each of %v once", expired, want)
	}
}

// closedCase opens a dossier on actor's signal about subject, checks that
// an open dossier is not reviewed for retention (409), and closes it from
// weighing. It returns the dossier's and the signal's ids.
func (w *retentionWorld) closedCase(actor string, subject map[string]any) (string, string) {
	w.t.Helper()
	sig, ref := w.submit(actor, subject)
	body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": []string{sig}, "category": "radicalisation"})
	r := w.send(0, "POST", "preventie", "case_conference", "/v1/cases", body)
	if r.Status != 201 {
		w.t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	id := jsonField(w.t, r.Body, "id")
	if r := w.send(0, "POST", "preventie", "case_conference", "/v1/cases/"+id+"/review", []byte(`{"reason":"keep"}`)); r.Status != 409 {
		w.t.Errorf("review of an open dossier: %d %s, want 409", r.Status, r.Body)
	}
	for _, to := range []string{"formation", "weighing", "closed"} {
		if r := w.send(0, "POST", "preventie", "case_conference", "/v1/cases/"+id+"/transitions", []byte(`{"to":"`+to+`","reason":"r"}`)); r.Status != 200 {
			w.t.Fatalf("move to %s: %d %s", to, r.Status, r.Body)
		}
	}
	return id, sig
}

// TestRetentionReview: a closed dossier the coordinator reviews is kept one
// more period from the review, while one not reviewed expires after 1,095
// days.
func TestRetentionReview(t *testing.T) {
	w := newRetentionWorld(t, 1)
	kept, keptSig := w.closedCase("pz", map[string]any{"family_name": "Bewaard", "given_name": "Kees", "birth_date": "1970-03-03"})
	gone, goneSig := w.closedCase("pz", map[string]any{"family_name": "Vergeten", "given_name": "Gus", "birth_date": "1971-04-04"})
	review := func(actor, id string) response {
		return w.send(0, "POST", actor, "case_conference", "/v1/cases/"+id+"/review", []byte(`{"reason":"SECRET-still-a-concern"}`))
	}
	if r, u := review("pz", kept), review("pz", "case_"+strings.Repeat("a", 26)); r.Status != 404 ||
		!jsonEqualBut(t, r.Body, u.Body, "request_id", "audit_id") {
		t.Errorf("police (not on the closed dossier's roster) reviews: %d %s, an unknown dossier: %d %s, want the same 404", r.Status, r.Body, u.Status, u.Body)
	}
	w.setClock(1000)
	r := review("preventie", kept)
	if r.Status != 200 {
		t.Fatalf("review: %d %s", r.Status, r.Body)
	}
	var rv struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.json(t, &rv)
	if want := time.Now().AddDate(0, 0, 1000+1095); rv.ExpiresAt.Before(want.Add(-time.Hour)) || rv.ExpiresAt.After(want.Add(time.Hour)) {
		t.Errorf("kept until %s, want about %s", rv.ExpiresAt, want)
	}
	if s := w.scheduled(100); !slices.Equal(slices.Sorted(maps.Keys(s)), []string{gone}) {
		t.Errorf("due within 100 days of day 1000: %v, want the unreviewed dossier alone", s)
	}
	w.setClock(1096)
	w.waitExpired(goneSig)
	if r := w.send(0, "GET", "preventie", "case_conference", "/v1/cases/"+kept, nil); r.Status != 200 {
		t.Fatalf("the reviewed dossier at day 1096: %d, want it kept", r.Status)
	}
	if s := w.state(keptSig); s != "in_dossier" {
		t.Fatalf("the reviewed dossier's signal: %s", s)
	}
	w.setClock(2096)
	w.waitExpired(keptSig)
	if r := w.send(0, "GET", "preventie", "case_conference", "/v1/cases/"+kept, nil); r.Status != 404 {
		t.Fatalf("the reviewed dossier one period after its review: %d, want 404", r.Status)
	}
	checkInvariants(t, w.redis.client(t), w.model.Livc)
}

// TestRetentionShredsOldCopies: a dismissed signal of a person with nothing
// else expires when the clock passes 180 days, crypto-shredded like an
// erasure: once the key epochs before it are destroyed, a copy of Redis
// taken before the expiry no longer opens, even with every key on disk,
// while a person whose dossier is open is kept and reads back.
func TestRetentionShredsOldCopies(t *testing.T) {
	clock := filepath.Join(t.TempDir(), "clock")
	must(t, os.WriteFile(clock, []byte("0h"), 0o644))
	t.Setenv("LIVC_INSECURE_CLOCK", clock)
	w := &shredding{m: loadModel(t), iss: newIssuer(t), data: t.TempDir()}
	redisDir := t.TempDir()
	w.rs = startRedisAOF(t, redisDir)
	w.keyDir = filepath.Join(w.data, "keys")
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data)
	w.erased = &person{nn: validNN("880808", 23), family: "Zzexpired", text: "SECRET-expired"}
	w.kept = &person{nn: validNN("880808", 24), family: "Zzkept", text: "SECRET-kept"}
	submitPeople(t, w.b, w.iss, w.m.Livc, recipientsOf(t, w.b)[1], []*person{w.erased, w.kept})
	coord := w.iss.token(t, w.m.Livc, "preventie")
	sigOf := map[string]string{}
	for _, e := range intake(t, w.b.URL, coord, "") {
		sigOf[e.SubjectRef] = e.ID
	}
	send := func(method, path, body string) response {
		return do(t, method, w.b.URL+path, []byte(body), "Authorization", "Bearer "+coord,
			"LIVC-Purpose", "case_conference", "Content-Type", "application/json")
	}
	if r := send("POST", "/v1/signals/"+sigOf[w.erased.ref]+"/dismissal", `{"reason":"no follow-up"}`); r.Status != 200 {
		t.Fatalf("dismiss: %d %s", r.Status, r.Body)
	}
	body := `{"subject_ref":"` + w.kept.ref + `","signal_ids":["` + sigOf[w.kept.ref] + `"],"category":"radicalisation"}`
	if r := send("POST", "/v1/cases", body); r.Status != 201 {
		t.Fatalf("dossier of the kept person: %d %s", r.Status, r.Body)
	}
	w.aofCopy = copyTree(t, redisDir)
	if n, err := w.openCopy(t, w.erased); err != nil || n != 1 {
		t.Fatalf("control: the copy before the expiry: %d records, %v", n, err)
	}
	w.b.stop(t)
	_, before, _ := mustLoad(t, w.keyDir).Epochs()
	must(t, os.WriteFile(clock, []byte(fmt.Sprintf("%dh", 24*182)), 0o644))
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data,
		"--retention-every", "100ms", "--epoch-period", "1s", "--key-check", "100ms")
	deadline := time.Now().Add(30 * time.Second)
	for {
		state := ""
		for _, e := range intake(t, w.b.URL, coord, "") {
			if e.ID == sigOf[w.erased.ref] {
				state = e.State
			}
		}
		oldest, _, _ := mustLoad(t, w.keyDir).Epochs()
		if state == "expired" && oldest > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 182 days: the signal is %q, the oldest epoch %d (before %d)", state, oldest, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.checkShredded(t)
}
