package e2e

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const accentsPath = "testdata/accents/cell.yaml"

// Texts written into the dossier; like the signals' values they must never
// reach Redis or the audit log in the clear.
const (
	secretTask1   = "SECRET-task-visit-the-family"
	secretTask2   = "SECRET-task-neighbourhood-enquiry"
	secretReport1 = "SECRET-report-family-visited"
	secretReport2 = "SECRET-report-enquiry-done"
	secretReason  = "SECRET-reason-for-the-move"
)

type caseView struct {
	ID         string   `json:"id"`
	SubjectRef string   `json:"subject_ref"`
	Category   string   `json:"category"`
	State      string   `json:"state"`
	Priority   int      `json:"priority"`
	Roster     []string `json:"roster"`
	Tasks      []struct {
		ID, Actor, Description, Due, Scenario, Status, Report string
	} `json:"tasks"`
	History []struct{ From, To, By, Reason string } `json:"history"`
}

type cardValue struct {
	Value          any
	Source, Record string
}

type casePage struct {
	Items      []caseView `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// TestDossier carries one dossier from registration to closed over HTTP and
// real Redis, on a cell whose own rules hide the address from everyone but
// the police on the roster, and checks at each step what every table sees
// and that the audit log holds the step.
func TestDossier(t *testing.T) {
	w := submittedWorld(t, accentsPath)

	roster := []string{"ocmw", "clb", "pz", "jeugddienst"}
	id := w.openCase(t, roster)
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	path := "/v1/cases/" + id

	t.Run("registration: who sees the dossier", func(t *testing.T) {
		w.expectListed(t, "pz", "case_conference", id, true)
		w.expectListed(t, "preventie", "case_conference", id, true)
		w.expectListed(t, "vsse", "case_conference", id, false)
		w.expectListed(t, "parket", "prioritisation", id, true)
		if r := w.get("vsse", "case_conference", path); r.Status != 404 {
			t.Fatalf("off the roster reads the dossier: %d %s", r.Status, r.Body)
		}
		if r := w.get("burgemeester", "policy", "/v1/cases"); r.Status != 403 {
			t.Fatalf("strategic table lists dossiers: %d %s", r.Status, r.Body)
		}
		if r := w.get("clb", "prioritisation", "/v1/cases"); r.Status != 403 {
			t.Fatalf("clb (not tactical) lists under prioritisation: %d", r.Status)
		}
		w.expectStats(t, map[string]any{"registration": "<5"})
	})

	t.Run("transitions follow the lifecycle", func(t *testing.T) {
		r := w.send("POST", "pz", "case_conference", path+"/transitions", "application/json", js(map[string]string{"to": "approach", "reason": "skip"}))
		if r.Status != 409 || !strings.Contains(string(r.Body), "formation") {
			t.Fatalf("registration -> approach: %d %s, want 409 naming formation", r.Status, r.Body)
		}
		r = w.send("POST", "vsse", "case_conference", path+"/transitions", "application/json", js(map[string]string{"to": "formation", "reason": "x"}))
		if r.Status != 404 {
			t.Fatalf("off the roster moves the dossier: %d %s", r.Status, r.Body)
		}
		w.move(t, "pz", id, "formation")
		w.move(t, "ocmw", id, "weighing")
	})

	var task1, task2 string
	t.Run("tactical table: priority and tasks", func(t *testing.T) {
		if r := w.send("PUT", "parket", "prioritisation", path+"/priority", "application/json", []byte(`{"priority":9}`)); r.Status != 422 {
			t.Fatalf("priority 9: %d %s", r.Status, r.Body)
		}
		if r := w.send("PUT", "clb", "prioritisation", path+"/priority", "application/json", []byte(`{"priority":2}`)); r.Status != 403 {
			t.Fatalf("clb sets a priority: %d %s", r.Status, r.Body)
		}
		if r := w.send("PUT", "parket", "prioritisation", path+"/priority", "application/json", []byte(`{"priority":2}`)); r.Status != 200 {
			t.Fatalf("priority: %d %s", r.Status, r.Body)
		}
		bad := js(map[string]string{"actor": "burgemeester", "description": "x", "due": "2026-12-31", "scenario": "preventive"})
		if r := w.send("POST", "burgemeester", "prioritisation", path+"/tasks", "application/json", bad); r.Status != 422 {
			t.Fatalf("task to the mayor: %d %s", r.Status, r.Body)
		}
		task1 = w.assign(t, id, "clb", secretTask1, "preventive")
		task2 = w.assign(t, id, "pz", secretTask2, "reactive")
		w.move(t, "clb", id, "approach")
	})

	t.Run("only the assignee reports", func(t *testing.T) {
		rep := func(actor, purpose, task, status, text string) response {
			return w.send("PATCH", actor, purpose, path+"/tasks/"+task, "application/json", js(map[string]string{"status": status, "report": text}))
		}
		if r := rep("ocmw", "case_conference", task1, "done", "not mine"); r.Status != 403 {
			t.Fatalf("another actor reports: %d %s", r.Status, r.Body)
		}
		if r := rep("clb", "prioritisation", task1, "done", "x"); r.Status != 403 {
			t.Fatalf("report under prioritisation: %d %s", r.Status, r.Body)
		}
		if r := rep("clb", "case_conference", task1, "finished", "x"); r.Status != 422 || !strings.Contains(string(r.Body), "status") {
			t.Fatalf("a status no task can hold: %d %s (want 422 naming status)", r.Status, r.Body)
		}
		for _, s := range []struct{ actor, task, status, text string }{
			{"clb", task1, "in_progress", "started"}, {"clb", task1, "done", secretReport1}, {"pz", task2, "done", secretReport2},
		} {
			if r := rep(s.actor, "case_conference", s.task, s.status, s.text); r.Status != 200 {
				t.Fatalf("%s reports %s: %d %s", s.actor, s.status, r.Status, r.Body)
			}
		}
		if r := rep("clb", "case_conference", task1, "in_progress", "back"); r.Status != 409 {
			t.Fatalf("done -> in_progress: %d %s", r.Status, r.Body)
		}
	})

	t.Run("what each table sees of the dossier", func(t *testing.T) {
		var tactical, conference caseView
		r := w.get("parket", "prioritisation", path)
		r.json(t, &tactical)
		if tactical.State != "approach" || tactical.Priority != 2 || tactical.Category != "radicalisation" ||
			tactical.SubjectRef != w.ref || len(tactical.Tasks) != 2 {
			t.Fatalf("tactical view: %s", r.Body)
		}
		for _, tk := range tactical.Tasks {
			if tk.Report != "" || tk.Status != "done" || tk.Description == "" {
				t.Errorf("tactical view of a task: %+v (a report is case_conference information)", tk)
			}
		}
		// The tactical table wrote the task descriptions; nothing else of
		// the person (no identity, no field value), and no report or
		// reason, reaches it.
		leaks := []string{secretReason, secretReport1, secretReport2}
		for _, s := range secretsInTheClear() {
			if s != "SECRET-" { // the bare prefix is in the task descriptions
				leaks = append(leaks, s)
			}
		}
		for _, s := range leaks {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("tactical view holds %q", s)
			}
		}
		w.get("ocmw", "case_conference", path).json(t, &conference)
		if conference.Tasks[0].Report != secretReport1 || conference.Tasks[1].Report != secretReport2 ||
			len(conference.History) != 3 || conference.History[0].Reason != secretReason {
			t.Fatalf("case conference view: %+v", conference)
		}
	})

	t.Run("observations merge into the card", func(t *testing.T) {
		obs := func(actor, ref string, fields map[string]any) response {
			plain := js(map[string]any{"fields": fields, "observed_at": "2026-11-21T10:00:00Z"})
			return w.send("POST", actor, "signal", "/v1/subjects/"+ref+"/observations", "application/age", seal(t, w.recip, plain))
		}
		r := obs("jeugddienst", w.ref, map[string]any{"presence": "unknown"})
		if r.Status != 201 {
			t.Fatalf("observation: %d %s", r.Status, r.Body)
		}
		obsID := jsonField(t, r.Body, "id")
		if r := obs("unizo", w.ref, map[string]any{"address": "Elsewhere 2"}); r.Status != 422 {
			t.Fatalf("identity field in an observation: %d %s", r.Status, r.Body)
		}
		if r := obs("unizo", w.ref, map[string]any{"shoe_size": 44}); r.Status != 422 {
			t.Fatalf("field outside the catalogue: %d %s", r.Status, r.Body)
		}
		unknown := "s_" + strings.Repeat("a", 26)
		if r := obs("unizo", unknown, map[string]any{"presence": "absent"}); r.Status != 404 {
			t.Fatalf("observation about an unknown ref: %d %s", r.Status, r.Body)
		}
		var card struct {
			Fields map[string][]cardValue `json:"fields"`
		}
		w.get("pz", "case_conference", "/v1/subjects/"+w.ref+"/card").json(t, &card)
		found := slices.ContainsFunc(card.Fields["presence"], func(v cardValue) bool {
			return v.Record == obsID && v.Source == "jeugddienst" && v.Value == "unknown"
		})
		if !found {
			t.Fatalf("card presence %+v lacks the observation %s", card.Fields["presence"], obsID)
		}
	})

	t.Run("the cell's accent: address for the roster's police only", func(t *testing.T) {
		onRoster := slices.Clone(roster)
		offRoster := []string{"ocmw", "clb", "jeugddienst"} // the police taken off
		current := onRoster
		use := func(t *testing.T, r []string) { // a change only when it is one, so the audit counts stay exact
			if !slices.Equal(r, current) {
				w.putRoster(t, id, r)
				current = r
			}
		}
		for _, tc := range []struct {
			name, actor string
			roster      []string
			want        bool
		}{
			{"police on the roster", "pz", onRoster, true},
			{"socio-preventive on the roster", "ocmw", onRoster, false},
			{"school on the roster", "clb", onRoster, false},
			{"municipal service on the roster", "jeugddienst", onRoster, false},
			{"police off the roster", "pz", offRoster, false},
			{"socio-preventive, roster without police", "ocmw", offRoster, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				use(t, tc.roster)
				r := w.get(tc.actor, "case_conference", "/v1/subjects/"+w.ref+"/card")
				var card struct{ Fields map[string]any }
				r.json(t, &card)
				if _, got := card.Fields["address"]; got != tc.want {
					t.Errorf("%s sees the address: %v, want %v", tc.actor, got, tc.want)
				}
				onList := slices.Contains(tc.roster, tc.actor)
				if _, idc := card.Fields["family_name"]; idc != onList {
					t.Errorf("%s: identity class released %v, want %v: %s", tc.actor, idc, onList, r.Body)
				}
				e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
				// Off the roster no class is released: the broker reads only
				// the requester's own records, and withholds (and names)
				// nothing of the others'.
				if (onList && slices.Contains(e.Withheld, "address") == tc.want) || slices.Contains(e.Released, "address") != tc.want {
					t.Errorf("%s: audit entry released %v withheld %v, address released should be %v", tc.actor, e.Released, e.Withheld, tc.want)
				}
			})
		}
		use(t, onRoster)
	})

	t.Run("lookup: hit, no-hit, refused, rate-limited", func(t *testing.T) {
		look := func(actor string, subject map[string]any) response {
			return w.send("POST", actor, "case_conference", "/v1/subjects/lookup", "application/age", seal(t, w.recip, js(map[string]any{"subject": subject})))
		}
		var hit, miss struct {
			SubjectRef string `json:"subject_ref"`
			Known      bool   `json:"known"`
		}
		look("pz", nnSubject).json(t, &hit)
		look("pz", map[string]any{"national_number": "90.02.01-997.04"}).json(t, &miss)
		if !hit.Known || hit.SubjectRef != w.ref || miss.Known || miss.SubjectRef == "" || miss.SubjectRef == w.ref {
			t.Fatalf("lookup: hit %+v miss %+v", hit, miss)
		}
		if r := look("burgemeester", nnSubject); r.Status != 403 {
			t.Fatalf("mayor looks up: %d", r.Status)
		}
		limited := false
		for range 12 {
			if r := look("ocmw", nnSubject); r.Status == 429 {
				limited = true
				if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 {
					t.Errorf("429 with Retry-After %q", r.Header.Get("Retry-After"))
				}
				break
			}
		}
		if !limited {
			t.Fatal("twelve lookups in a row were not rate-limited")
		}
		if r := look("pz", nnSubject); r.Status != 200 {
			t.Fatalf("the limit of one requester stopped another: %d", r.Status)
		}
	})

	t.Run("closing ends the roster's access", func(t *testing.T) {
		// What ocmw gets only as a member of the roster of an open dossier:
		// values other actors gave, of classes released to socio_preventive.
		rosterOnly := []string{"school_absence_days", "indicators", "guidance_trajectory"}
		w.expectCardFields(t, "ocmw", w.ref, rosterOnly, []string{"address", "police_record"})
		w.move(t, "jeugddienst", id, "evaluation")
		w.move(t, "pz", id, "closed")
		r := w.send("POST", "preventie", "case_conference", path+"/transitions", "application/json", js(map[string]string{"to": "approach", "reason": "reopen"}))
		if r.Status != 409 {
			t.Fatalf("closed -> approach: %d %s", r.Status, r.Body)
		}
		w.expectListed(t, "pz", "case_conference", id, false)
		w.expectListed(t, "preventie", "case_conference", id, true)
		w.expectListed(t, "parket", "prioritisation", id, true)
		if r := w.get("pz", "case_conference", path); r.Status != 404 {
			t.Fatalf("roster member reads a closed dossier: %d", r.Status)
		}
		// ocmw submitted with the full identity, so family_name stays
		// (its own); the others' values and fields go.
		w.expectCardFields(t, "ocmw", w.ref, []string{"signal_text", "family_situation", "health_note", "presence"},
			append(rosterOnly, "address", "police_record"))
		if want, _ := w.model.expectedCard("ocmw", "case_conference", w.records, false, nil); !slices.Equal(
			cardFieldNames(t, w.get("ocmw", "case_conference", "/v1/subjects/"+w.ref+"/card")), want) {
			t.Errorf("after closure ocmw's card is not its own submissions %v", want)
		}
	})
	t.Run("weighing to closed ends the roster's access", func(t *testing.T) { w.closeFromWeighing(t) })
	t.Run("statistics after the closures", func(t *testing.T) {
		w.expectStats(t, map[string]any{"closed": "<5", "registration": 0})
	})

	t.Run("the audit holds every step", func(t *testing.T) { w.checkDossierAudit(t, id) })
	t.Run("no text in the clear in Redis", func(t *testing.T) {
		w.scanRedis(t)
		dump := w.dumpRedis(t)
		for _, s := range []string{secretTask1, secretTask2, secretReport1, secretReport2, secretReason} {
			if strings.Contains(dump, s) {
				t.Errorf("Redis holds %q in the clear", s)
			}
		}
	})
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.redis.client(t), w.model.Livc) })
}
