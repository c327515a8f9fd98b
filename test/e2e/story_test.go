package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The person of the story, and the values that must never appear in the
// clear anywhere in Redis.
var (
	nationalNumber = "85.07.30-033.28"
	fullSubject    = map[string]any{"national_number": nationalNumber, "family_name": "Vandenbroeckx", "given_name": "Yannick", "birth_date": "1985-07-30"}
	nnSubject      = map[string]any{"national_number": "85073003328"}
	nameSubject    = map[string]any{"family_name": "Vandenbroeckx", "given_name": "Yannick", "birth_date": "1985-07-30"}
)

// submission is one actor's signal about the person.
type submission struct {
	actor   string
	subject map[string]any
	fields  map[string]any
}

var story = []submission{
	{"ocmw", fullSubject, map[string]any{"signal_text": "SECRET-signal-text-ocmw", "family_situation": "SECRET-family-situation", "health_note": "SECRET-health-note", "presence": "absent"}},
	{"clb", nnSubject, map[string]any{"school_absence_days": 37, "presence": "absent"}},
	{"jeugddienst", nameSubject, map[string]any{"indicators": []string{"SECRET-indicator-one", "SECRET-indicator-two"}, "guidance_trajectory": "SECRET-guidance-trajectory"}},
	{"pz", nnSubject, map[string]any{"police_record": "SECRET-police-record", "administrative_measure": "SECRET-administrative-measure"}},
	{"vsse", nnSubject, map[string]any{"threat_level": 3}},
	{"parket", nnSubject, map[string]any{"judicial_measure": "SECRET-judicial-measure"}},
	{"unizo", nnSubject, map[string]any{"sector_signal": "SECRET-sector-signal", "presence": "present"}},
	{"preventie", nnSubject, map[string]any{"address": "SECRET-Kerkstraat 1, Zonnedaal"}},
}

// secretsInTheClear lists every string that must never be found in Redis:
// the identity, the unkeyed SHA-256 of the national number (a lookup table
// of all Belgian numbers would reverse it) and every field value.
func secretsInTheClear() []string {
	out := []string{"85073003328", nationalNumber, "Vandenbroeckx", "Yannick", "1985-07-30", "SECRET-"}
	out = append(out, unkeyedDigests("85073003328", nationalNumber)...)
	for _, s := range story {
		for _, v := range s.fields {
			switch v := v.(type) {
			case string:
				if len(v) > 6 {
					out = append(out, v)
				}
			case []string:
				out = append(out, v...)
			}
		}
	}
	return out
}

// world is the story's running broker and what it was told.
type world struct {
	t       *testing.T
	model   *cellModel
	iss     *issuerKey
	broker  *brokerProc
	redis   *redisServer
	recip   string
	ref     string
	records submitted // field -> actors that gave a value
	values  int       // number of values stored about the person
	signals map[string]string
	audited []string // X-Audit-Id of every answer
	reads   []cardRead
}

// submittedWorld starts a Redis and a broker on config and submits every
// actor's signal about one person, ready for a dossier to be opened.
func submittedWorld(t *testing.T, config string) *world {
	t.Helper()
	w := &world{t: t, model: loadModel(t), iss: newIssuer(t), records: submitted{}, signals: map[string]string{}}
	w.redis = startRedis(t)
	w.broker = startBroker(t, w.redis.Addr, w.iss, "--config", config)
	var keys struct{ Recipients []string }
	do(t, "GET", w.broker.URL+"/v1/keys", nil).json(t, &keys)
	w.recip = keys.Recipients[0]
	w.submitAll(t)
	return w
}

// cardRead is one card answer of the story and the field names its audit
// entry must hold.
type cardRead struct {
	name, auditID      string
	released, withheld []string
}

func (w *world) get(actor, purpose, path string) response {
	w.t.Helper()
	r := do(w.t, "GET", w.broker.URL+path, nil,
		"Authorization", "Bearer "+w.iss.token(w.t, w.model.Livc, actor), "LIVC-Purpose", purpose)
	w.note(r)
	return r
}

// refOf is the pseudonym of signal id, as the coordinator's intake shows it.
func (w *world) refOf(id string) string {
	w.t.Helper()
	return refOf(w.t, w.broker.URL, w.iss.token(w.t, w.model.Livc, "preventie"), id)
}

func (w *world) send(method, actor, purpose, path, ctype string, body []byte) response {
	w.t.Helper()
	r := do(w.t, method, w.broker.URL+path, body,
		"Authorization", "Bearer "+w.iss.token(w.t, w.model.Livc, actor), "LIVC-Purpose", purpose,
		"Content-Type", ctype)
	w.note(r)
	return r
}

// note checks the headers every answer carries and keeps the audit id.
func (w *world) note(r response) {
	w.t.Helper()
	if r.Header.Get("X-Request-Id") == "" {
		w.t.Errorf("answer %d without X-Request-Id", r.Status)
	}
	id := r.Header.Get("X-Audit-Id")
	if id == "" {
		w.t.Errorf("audited answer %d without X-Audit-Id: %s", r.Status, r.Body)
	}
	w.audited = append(w.audited, id)
	if r.Status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
		w.t.Errorf("refusal %d is not problem+json: %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestStory(t *testing.T) {
	w := &world{t: t, model: loadModel(t), iss: newIssuer(t), records: submitted{}, signals: map[string]string{}}
	w.redis = startRedis(t)
	w.broker = startBroker(t, w.redis.Addr, w.iss, "--config", examplePath)

	var keys struct {
		Recipients    []string `json:"recipients"`
		CheckpointKey string   `json:"checkpoint_key"`
	}
	do(t, "GET", w.broker.URL+"/v1/keys", nil).json(t, &keys)
	if len(keys.Recipients) == 0 || keys.CheckpointKey == "" {
		t.Fatalf("GET /v1/keys: %+v", keys)
	}
	w.recip = keys.Recipients[0]

	t.Run("signals from every actor link to one person", w.submitAll)
	t.Run("before a dossier only own submissions come back", func(t *testing.T) { w.checkAllCards(t, false, nil) })
	roster := []string{"ocmw", "clb", "pz", "vsse"}
	caseID := w.openCase(t, roster)
	t.Run("roster refuses an actor off the operational table", func(t *testing.T) {
		r := w.send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", "application/json", []byte(`{"actors":["ocmw","burgemeester"]}`))
		if r.Status != 422 {
			t.Fatalf("roster with burgemeester: %d %s", r.Status, r.Body)
		}
	})
	t.Run("cards follow the release matrix, roster A", func(t *testing.T) { w.checkAllCards(t, true, roster) })
	roster = []string{"jeugddienst", "parket", "unizo", "preventie"}
	w.setRoster(t, caseID, roster)
	t.Run("cards follow the release matrix, roster B", func(t *testing.T) { w.checkAllCards(t, true, roster) })
	t.Run("privacy officer sees every step", w.checkAudit)
	t.Run("no value in the clear in Redis", w.scanRedis)
	t.Run("failed logins trust no claim of a refused token", w.checkFailedLogins)
	t.Run("the privacy officer's report by identity", w.checkIdentityReport)
	t.Run("the privacy officer's review of the verifiable log", w.checkReview)
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.redis.client(t), w.model.Livc) })
}

func (w *world) submitAll(t *testing.T) {
	for _, s := range story {
		plain, err := json.Marshal(map[string]any{"subject": s.subject, "observed_at": "2026-11-20T09:30:00Z", "fields": s.fields})
		must(t, err)
		r := w.send("POST", s.actor, "signal", "/v1/signals", "application/age", seal(t, w.recip, plain))
		if r.Status != 201 {
			t.Fatalf("%s submits: %d %s", s.actor, r.Status, r.Body)
		}
		var rc struct {
			ID string `json:"id"`
		}
		r.json(t, &rc)
		ref := w.refOf(rc.ID) // the answer is the id only; the coordinator's intake tells whom
		if w.ref == "" {
			w.ref = ref
		}
		if ref != w.ref {
			t.Fatalf("%s's signal linked to %s, want %s", s.actor, ref, w.ref)
		}
		w.signals[s.actor] = rc.ID
		for f := range s.fields {
			w.records[f] = append(w.records[f], s.actor)
			w.values++
		}
		for f := range s.subject {
			w.records[f] = append(w.records[f], s.actor)
			w.values++
		}
	}
	if !strings.HasPrefix(w.ref, "s_") {
		t.Fatalf("subject ref %q", w.ref)
	}
}

func jsonField(t testing.TB, body []byte, name string) string {
	var m map[string]any
	must(t, json.Unmarshal(body, &m))
	s, _ := m[name].(string)
	return s
}

func (w *world) openCase(t *testing.T, roster []string) string {
	body := fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q,%q],"category":"radicalisation"}`, w.ref, w.signals["ocmw"], w.signals["clb"])
	for _, a := range []string{"ocmw", "pz"} { // not the coordinator
		if r := w.send("POST", a, "case_conference", "/v1/cases", "application/json", []byte(body)); r.Status != 403 {
			t.Fatalf("%s opens a dossier: %d %s", a, r.Status, r.Body)
		}
	}
	r := w.send("POST", "preventie", "case_conference", "/v1/cases", "application/json", []byte(body))
	if r.Status != 201 {
		t.Fatalf("coordinator opens a dossier: %d %s", r.Status, r.Body)
	}
	id, state := jsonField(t, r.Body, "id"), jsonField(t, r.Body, "state")
	if state != "registration" || id == "" {
		t.Fatalf("dossier %s", r.Body)
	}
	w.setRoster(t, id, roster)
	w.takeAllAndShare(t, id, roster)
	return id
}

func (w *world) setRoster(t *testing.T, id string, roster []string) {
	b, _ := json.Marshal(map[string]any{"actors": roster})
	// Refused: 403 when pz is on the dossier's roster, the uniform 404 when
	// it may not see the dossier at all (TestOrderOfJudgment has both).
	if r := w.send("PUT", "pz", "case_conference", "/v1/cases/"+id+"/roster", "application/json", b); r.Status != 403 && r.Status != 404 {
		t.Fatalf("non-coordinator sets roster: %d %s", r.Status, r.Body)
	}
	r := w.send("PUT", "preventie", "case_conference", "/v1/cases/"+id+"/roster", "application/json", b)
	if r.Status != 200 {
		t.Fatalf("set roster: %d %s", r.Status, r.Body)
	}
}

// checkAllCards reads the card as every actor under every purpose and checks
// the exact set of released fields against the model.
func (w *world) checkAllCards(t *testing.T, openCase bool, roster []string) {
	for _, actor := range w.model.actorIDs() {
		for _, purpose := range w.model.purposeNames() {
			t.Run(actor+"/"+purpose, func(t *testing.T) {
				want, ok := w.model.expectedCard(actor, purpose, w.records, openCase, roster)
				r := w.get(actor, purpose, "/v1/subjects/"+w.ref+"/card")
				if ok {
					w.reads = append(w.reads, cardRead{name: t.Name(), auditID: r.Header.Get("X-Audit-Id"),
						released: cardFieldNames(t, r), withheld: w.model.expectedWithheld(actor, purpose, w.records, openCase, roster)})
				}
				switch {
				case !ok:
					if r.Status != 403 {
						t.Fatalf("want 403, got %d %s", r.Status, r.Body)
					}
				case len(want) == 0:
					if r.Status != 404 {
						t.Fatalf("want 404, got %d %s", r.Status, r.Body)
					}
				default:
					w.checkCard(t, r, want, openCase && slices.Contains(roster, actor))
				}
			})
		}
	}
}

// cardFieldNames is the sorted set of field names on a card answer; none
// for a refusal.
func cardFieldNames(t testing.TB, r response) []string {
	t.Helper()
	names := []string{}
	if r.Status != 200 {
		return names
	}
	var card struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	r.json(t, &card)
	return append(names, slices.Sorted(maps.Keys(card.Fields))...)
}

// checkCard checks a card answer: exactly the fields of want, each value
// with its provenance, and the count of withheld values only when shown
// (the requester on the roster of an open dossier), else no count at all.
func (w *world) checkCard(t *testing.T, r response, want []string, shown bool) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("want 200 with %v, got %d %s", want, r.Status, r.Body)
	}
	var card struct {
		SubjectRef string                              `json:"subject_ref"`
		Fields     map[string][]map[string]interface{} `json:"fields"`
		Withheld   *int                                `json:"withheld"`
	}
	r.json(t, &card)
	got := slices.Sorted(maps.Keys(card.Fields))
	if !slices.Equal(got, want) {
		t.Fatalf("released fields\n got %v\nwant %v", got, want)
	}
	released := 0
	for f, vals := range card.Fields {
		released += len(vals)
		for _, v := range vals {
			if v["source"] == "" || v["record"] == "" || v["at"] == "" || v["value"] == nil {
				t.Errorf("%s: value without provenance: %v", f, v)
			}
		}
	}
	if card.SubjectRef != w.ref {
		t.Fatalf("card ref %s, want %s", card.SubjectRef, w.ref)
	}
	switch {
	case shown && (card.Withheld == nil || *card.Withheld != w.values-released):
		t.Fatalf("card withheld %v, want %d", card.Withheld, w.values-released)
	case !shown && card.Withheld != nil:
		t.Fatalf("card withheld %d off the roster of an open dossier, want no count", *card.Withheld)
	}
}
