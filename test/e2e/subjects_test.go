package e2e

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"filippo.io/age/armor"
)

// subjectsCell is a broker on the example cell, and how to talk to it.
type subjectsCell struct {
	t     *testing.T
	b     *brokerProc
	iss   *issuerKey
	livc  string
	recip string
	rs    *redisServer
}

func newSubjectsCell(t *testing.T) *subjectsCell {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	return &subjectsCell{t: t, b: b, iss: iss, livc: m.Livc, recip: keys.Recipients[0], rs: rs}
}

// signal seals a signal about subject with fields to the broker.
func (c *subjectsCell) signal(subject, fields map[string]any) []byte {
	plain, err := json.Marshal(map[string]any{"subject": subject, "observed_at": "2026-11-20T09:30:00Z", "fields": fields})
	must(c.t, err)
	return seal(c.t, c.recip, plain)
}

// post sends body to path as actor under purpose.
func (c *subjectsCell) post(actor, purpose, path, ctype string, body []byte) response {
	return do(c.t, "POST", c.b.URL+path, body, "Authorization", "Bearer "+c.iss.token(c.t, c.livc, actor),
		"LIVC-Purpose", purpose, "Content-Type", ctype)
}

func (c *subjectsCell) submit(actor string, env []byte) response {
	return c.post(actor, "signal", "/v1/signals", "application/age", env)
}

func (c *subjectsCell) get(actor, purpose, path string) response {
	return do(c.t, "GET", c.b.URL+path, nil, "Authorization", "Bearer "+c.iss.token(c.t, c.livc, actor), "LIVC-Purpose", purpose)
}

func (c *subjectsCell) coord() string { return c.iss.token(c.t, c.livc, "preventie") }

// entry is signal id's entry in the intake.
func (c *subjectsCell) entry(id string) intakeEntry {
	c.t.Helper()
	for _, e := range intake(c.t, c.b.URL, c.coord(), "") {
		if e.ID == id {
			return e
		}
	}
	c.t.Fatalf("signal %s is not in the intake", id)
	return intakeEntry{}
}

// created is the id of a 201 answer, which must hold nothing else.
func created(t *testing.T, r response) string {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	if r.Status != 201 || !slices.Equal(slices.Sorted(maps.Keys(m)), []string{"id"}) {
		t.Fatalf("want 201 with the id only, got %d: %s", r.Status, r.Body)
	}
	return m["id"].(string)
}

// A submission answers its id only, the same for a person the broker knew
// and one it did not; the coordinator finds the person in the intake, which
// shows no value and is nobody else's.
func TestSubmissionAnswersTheIDOnly(t *testing.T) {
	c := newSubjectsCell(t)
	nn := validNN("870412", 301)
	first := created(t, c.submit("ocmw", c.signal(map[string]any{"national_number": nn}, map[string]any{"signal_text": "SECRET-intake-one"})))
	// The same person again, now known, and by name too: the same answer.
	again := created(t, c.submit("clb", c.signal(map[string]any{"national_number": nn, "family_name": "Intake", "given_name": "Ona", "birth_date": "1987-04-12"},
		map[string]any{"school_absence_days": 3})))

	e1, e2 := c.entry(first), c.entry(again)
	if e1.SubjectRef == "" || e1.SubjectRef != e2.SubjectRef || e1.State != "received" || e2.State != "received" ||
		e1.Source != "ocmw" || e2.Source != "clb" || e1.CaseID != "" || e1.ReceivedAt == "" || e1.ObservedAt == "" {
		t.Fatalf("intake entries: %+v %+v", e1, e2)
	}
	r := c.get("preventie", "case_conference", "/v1/signals")
	if bytes.Contains(r.Body, []byte("SECRET-intake")) || bytes.Contains(r.Body, []byte(nn)) {
		t.Fatalf("the intake shows a value: %s", r.Body)
	}
	checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "signal.list", "allow")
	t.Run("nobody else's", func(t *testing.T) {
		for _, tc := range []struct{ actor, purpose string }{
			{"pz", "case_conference"}, {"ocmw", "case_conference"}, {"ocmw", "signal"}, {"burgemeester", "prioritisation"}, {"dpo", "audit_review"},
		} {
			r := c.get(tc.actor, tc.purpose, "/v1/signals")
			if r.Status != 403 || bytes.Contains(r.Body, []byte(e1.SubjectRef)) {
				t.Errorf("%s under %s: %d %s", tc.actor, tc.purpose, r.Status, r.Body)
			}
		}
	})
	t.Run("taken into a dossier", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"subject_ref": e1.SubjectRef, "signal_ids": []string{first}, "category": "radicalisation"})
		r := c.post("preventie", "case_conference", "/v1/cases", "application/json", body)
		if r.Status != 201 {
			t.Fatalf("dossier: %d %s", r.Status, r.Body)
		}
		caseID := jsonField(t, r.Body, "id")
		if e := c.entry(first); e.State != "in_dossier" || e.CaseID != caseID {
			t.Fatalf("after the dossier: %+v", e)
		}
		if e := c.entry(again); e.State != "received" || e.CaseID != "" {
			t.Fatalf("a signal left out of the dossier: %+v", e)
		}
		in := intake(t, c.b.URL, c.coord(), "in_dossier")
		rec := intake(t, c.b.URL, c.coord(), "received")
		if len(in) != 1 || in[0].ID != first || slices.ContainsFunc(rec, func(e intakeEntry) bool { return e.ID == first }) {
			t.Fatalf("by state: in_dossier %+v, received %+v", in, rec)
		}
	})
	t.Run("newest first, in pages", func(t *testing.T) {
		r := c.get("preventie", "case_conference", "/v1/signals?limit=1")
		var page struct {
			Items      []intakeEntry `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		r.json(t, &page)
		if r.Status != 200 || len(page.Items) != 1 || page.Items[0].ID != again || page.NextCursor == "" {
			t.Fatalf("first page: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{"?limit=0", "?limit=1001", "?cursor=x", "?state=nope"} {
			if r := c.get("preventie", "case_conference", "/v1/signals"+bad); r.Status != 422 {
				t.Errorf("%s: %d %s", bad, r.Status, r.Body)
			}
		}
	})
}

// An envelope is bound to its submitter: sent again by it, the same signal
// (200, its id, nothing stored); by anyone else, binary or armored, 409,
// and their card shows nothing of it.
func TestEnvelopeBoundToSubmitter(t *testing.T) {
	c := newSubjectsCell(t)
	nn := validNN("900101", 302)
	env := c.signal(map[string]any{"national_number": nn}, map[string]any{"health_note": "SECRET-care-replayed", "signal_text": "SECRET-text-replayed"})
	id := created(t, c.submit("ocmw", env))
	ref := c.entry(id).SubjectRef

	r := c.submit("ocmw", env)
	if r.Status != 200 || jsonField(t, r.Body, "id") != id {
		t.Fatalf("the submitter sends it again: %d %s", r.Status, r.Body)
	}
	var armored bytes.Buffer
	w := armor.NewWriter(&armored)
	_, err := w.Write(env)
	must(t, err)
	must(t, w.Close())
	for _, tc := range []struct {
		name, actor string
		body        []byte
	}{{"another actor", "pz", env}, {"another actor, armored", "pz", armored.Bytes()}, {"the business association", "unizo", env}} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.submit(tc.actor, tc.body)
			if r.Status != 409 || bytes.Contains(r.Body, []byte(ref)) || bytes.Contains(r.Body, []byte(id)) {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "signal.submit", "deny")
			for _, purpose := range []string{"signal", "case_conference"} {
				card := c.get(tc.actor, purpose, "/v1/subjects/"+ref+"/card")
				if card.Status != 404 || bytes.Contains(card.Body, []byte("SECRET")) {
					t.Fatalf("its card under %s: %d %s", purpose, card.Status, card.Body)
				}
			}
		})
	}
	if r := c.submit("ocmw", armored.Bytes()); r.Status != 200 || jsonField(t, r.Body, "id") != id {
		t.Fatalf("the submitter sends it armored: %d %s", r.Status, r.Body)
	}
	if n := len(intake(t, c.b.URL, c.coord(), "")); n != 1 {
		t.Fatalf("%d signals in the intake, want 1: nothing is stored twice", n)
	}

	t.Run("an observation", func(t *testing.T) {
		plain := []byte(`{"fields":{"presence":"absent"},"observed_at":"2026-11-21T10:00:00Z"}`)
		obs := seal(t, c.recip, plain)
		path := "/v1/subjects/" + ref + "/observations"
		oid := created(t, c.post("clb", "signal", path, "application/age", obs))
		if r := c.post("clb", "signal", path, "application/age", obs); r.Status != 200 || jsonField(t, r.Body, "id") != oid {
			t.Fatalf("the submitter sends it again: %d %s", r.Status, r.Body)
		}
		if r := c.post("pz", "signal", path, "application/age", obs); r.Status != 409 {
			t.Fatalf("another actor: %d %s", r.Status, r.Body)
		}
	})
}

// A signal whose identifiers are linked to two different persons is held,
// linked to neither; a later signal by name only lands on the named
// person's card, not on the national number's. A birth date the national
// number contradicts is refused.
func TestConflictingIdentifiersHeld(t *testing.T) {
	c := newSubjectsCell(t)
	nn := validNN("880523", 303)
	byNumber := c.entry(created(t, c.submit("pz", c.signal(map[string]any{"national_number": nn}, map[string]any{"police_record": "none"})))).SubjectRef
	named := map[string]any{"family_name": "Other", "given_name": "Person", "birth_date": "1988-05-23"}
	byName := c.entry(created(t, c.submit("ocmw", c.signal(named, map[string]any{"signal_text": "about the other person"})))).SubjectRef
	if byNumber == byName {
		t.Fatal("two persons share a ref")
	}
	both := maps.Clone(named)
	both["national_number"] = nn
	held := c.entry(created(t, c.submit("unizo", c.signal(both, map[string]any{"sector_signal": "pairs them"}))))
	if held.State != "held" || held.SubjectRef == byNumber || held.SubjectRef == byName {
		t.Fatalf("the pairing signal: %+v (number %s, name %s)", held, byNumber, byName)
	}
	later := c.entry(created(t, c.submit("clb", c.signal(named, map[string]any{"school_absence_days": 9}))))
	if later.SubjectRef != byName || later.State != "received" {
		t.Fatalf("a later signal by name landed on %s (number %s, name %s)", later.SubjectRef, byNumber, byName)
	}

	wrong := maps.Clone(both)
	wrong["birth_date"] = "1988-05-24"
	r := c.submit("ocmw", c.signal(wrong, map[string]any{"signal_text": "x"}))
	if r.Status != 422 || jsonField(t, r.Body, "field") != "subject.birth_date" {
		t.Fatalf("a birth date the number contradicts: %d %s", r.Status, r.Body)
	}
}

// An erased person signalled again gets a new pseudonym that cannot be
// linked to the old; the old one stays the uniform 404, observations about
// it included.
func TestErasedComesBackUnlinkable(t *testing.T) {
	c := newSubjectsCell(t)
	nn := validNN("790822", 304)
	subject := map[string]any{"national_number": nn}
	before := c.signal(subject, map[string]any{"signal_text": "SECRET-before-erasure"})
	old := c.entry(created(t, c.submit("ocmw", before))).SubjectRef
	r := do(t, "DELETE", c.b.URL+"/v1/subjects/"+old, nil, "Authorization", "Bearer "+c.coord(), "LIVC-Purpose", "case_conference")
	if r.Status != 204 {
		t.Fatalf("erase: %d %s", r.Status, r.Body)
	}
	again := c.entry(created(t, c.submit("ocmw", c.signal(subject, map[string]any{"signal_text": "after"})))).SubjectRef
	if again == old || again == "" {
		t.Fatalf("signalled again: %s, erased %s", again, old)
	}
	if r := c.get("ocmw", "case_conference", "/v1/subjects/"+old+"/card"); r.Status != 404 {
		t.Fatalf("the old card: %d %s", r.Status, r.Body)
	}
	// The erased record's envelope is spent: a copy of it, from anyone,
	// never becomes a record again (and so nobody's own submission).
	for _, actor := range []string{"ocmw", "unizo"} {
		if r := c.submit(actor, before); r.Status != 409 {
			t.Fatalf("the erased signal's envelope again from %s: %d %s", actor, r.Status, r.Body)
		}
	}
	obs := seal(t, c.recip, []byte(`{"fields":{"presence":"absent"},"observed_at":"2026-11-21T10:00:00Z"}`))
	r = c.post("clb", "signal", "/v1/subjects/"+old+"/observations", "application/age", obs)
	unknown := c.post("clb", "signal", "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/observations", "application/age", obs)
	if r.Status != 404 || unknown.Status != 404 || jsonField(t, r.Body, "detail") != jsonField(t, unknown.Body, "detail") {
		t.Fatalf("an observation about the erased person: %d %s; about no one: %d %s", r.Status, r.Body, unknown.Status, unknown.Body)
	}
	for _, e := range intake(t, c.b.URL, c.coord(), "") {
		if e.SubjectRef == old {
			t.Fatalf("the intake still lists the erased person's signal %s", e.ID)
		}
	}
}

// A request is judged in this order: token, purpose, the person, the
// decision, and only then the body. A caller with no right learns nothing
// from a bad body.
func TestSubmissionOrderOfJudgment(t *testing.T) {
	c := newSubjectsCell(t)
	ref := c.entry(created(t, c.submit("ocmw", c.signal(map[string]any{"national_number": validNN("930707", 305)}, map[string]any{"presence": "absent"})))).SubjectRef
	junk := []byte("not an envelope")
	badJSON := seal(t, c.recip, []byte(`{"subject":{}}`))
	obsPath := "/v1/subjects/" + ref + "/observations"
	for _, tc := range []struct {
		name, actor, purpose, path, ctype string
		body                              []byte
		want                              int
	}{
		{"submit: purpose not the actor's, bad body", "ocmw", "policy", "/v1/signals", "application/age", junk, 403},
		{"submit: purpose not bound, bad body", "ocmw", "case_conference", "/v1/signals", "application/age", junk, 403},
		{"submit: purpose not bound, invalid signal", "ocmw", "case_conference", "/v1/signals", "application/age", badJSON, 403},
		{"submit: purpose not bound, wrong media type", "ocmw", "case_conference", "/v1/signals", "application/json", junk, 403},
		{"observe: purpose not bound, bad body", "clb", "case_conference", obsPath, "application/age", junk, 403},
		{"observe: unknown person, bad body", "clb", "signal", "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/observations", "application/age", junk, 404},
		{"submit: allowed, bad body", "ocmw", "signal", "/v1/signals", "application/age", junk, 400},
		{"submit: allowed, invalid signal", "ocmw", "signal", "/v1/signals", "application/age", badJSON, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(tc.actor, tc.purpose, tc.path, tc.ctype, tc.body)
			if r.Status != tc.want || strings.Contains(string(r.Body), ref) {
				t.Fatalf("%d, want %d: %s", r.Status, tc.want, r.Body)
			}
		})
	}
}
