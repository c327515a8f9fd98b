package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMinorsCard (README rule 9): the police on a dossier's roster reads the
// card of a person a school service (clb) signalled. For an adult the
// case_conference matrix releases the social class to the police; for a
// 16-year-old, whether the age comes from the birth date or the national
// number, the cell's minors.release replaces it and school_absence_days is
// withheld, while the identity and presence the minors matrix still gives
// the police are released. The expectations come from the test's own
// reading of the example configuration.
func TestMinorsCard(t *testing.T) {
	m := loadModel(t)
	const actor, purpose, field = "pz", "case_conference", "school_absence_days"
	if m.Fields[field].Class != "social" ||
		!slices.Contains(m.Release[purpose]["social"], m.actorType(actor)) ||
		slices.Contains(m.Minors.Release[purpose]["social"], m.actorType(actor)) {
		t.Fatalf("the example no longer releases %s to %s for adults only", field, actor)
	}
	today := time.Now().UTC()
	born := func(years int) time.Time { return today.AddDate(-years, 0, -30) }
	cases := []struct {
		name    string
		subject map[string]any
		minor   bool
	}{
		{"adult by birth date", map[string]any{"family_name": "Maes", "given_name": "Lotte", "birth_date": born(30).Format(time.DateOnly)}, false},
		{"16-year-old by birth date", map[string]any{"family_name": "Maes", "given_name": "Ruben", "birth_date": born(16).Format(time.DateOnly)}, true},
		{"16-year-old by national number", map[string]any{"national_number": nationalNumberFor(t, born(16), "417")}, true},
		{"adult by national number", map[string]any{"national_number": nationalNumberFor(t, born(40), "213")}, false},
	}
	w := &world{t: t, model: m, iss: newIssuer(t), records: submitted{}, signals: map[string]string{}}
	w.redis = startRedis(t)
	w.broker = startBroker(t, w.redis.Addr, w.iss, "--config", examplePath)
	var keys struct{ Recipients []string }
	do(t, "GET", w.broker.URL+"/v1/keys", nil).json(t, &keys)
	w.recip = keys.Recipients[0]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := map[string]any{field: 37, "presence": "absent"}
			plain, err := json.Marshal(map[string]any{"subject": c.subject, "observed_at": "2026-11-20T09:30:00Z", "fields": fields})
			must(t, err)
			r := w.send("POST", "clb", "signal", "/v1/signals", "application/age", seal(t, w.recip, plain))
			if r.Status != 201 {
				t.Fatalf("clb submits: %d %s", r.Status, r.Body)
			}
			id := jsonField(t, r.Body, "id")
			ref := w.refOf(id)
			body := fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, ref, id)
			r = w.send("POST", "preventie", purpose, "/v1/cases", "application/json", []byte(body))
			if r.Status != 201 {
				t.Fatalf("coordinator opens a dossier: %d %s", r.Status, r.Body)
			}
			caseID := jsonField(t, r.Body, "id")
			roster, _ := json.Marshal(map[string]any{"actors": []string{"clb", actor}})
			if r = w.send("PUT", "preventie", purpose, "/v1/cases/"+caseID+"/roster", "application/json", roster); r.Status != 200 {
				t.Fatalf("set roster: %d %s", r.Status, r.Body)
			}
			// clb holds professional secrecy: its signal reaches the roster once shared.
			if r = w.send("POST", "clb", purpose, "/v1/signals/"+id+"/shares", "application/json", []byte(`{"case_id":"`+caseID+`"}`)); r.Status != 201 {
				t.Fatalf("clb shares: %d %s", r.Status, r.Body)
			}

			matrix := m.Release[purpose]
			if c.minor {
				matrix = m.Minors.Release[purpose]
			}
			var want []string
			for name := range fields {
				if slices.Contains(matrix[m.Fields[name].Class], m.actorType(actor)) {
					want = append(want, name)
				}
			}
			for name := range c.subject {
				if slices.Contains(matrix[m.Fields[name].Class], m.actorType(actor)) {
					want = append(want, name)
				}
			}
			slices.Sort(want)
			if slices.Contains(want, field) == c.minor {
				t.Fatalf("the model gives %v for a minor=%v", want, c.minor)
			}
			r = w.get(actor, purpose, "/v1/subjects/"+ref+"/card")
			if r.Status != 200 {
				t.Fatalf("%s reads the card: %d %s", actor, r.Status, r.Body)
			}
			if got := cardFieldNames(t, r); !slices.Equal(got, want) {
				t.Errorf("%s's card shows %v, want %v", actor, got, want)
			}
			// The card of the school service (clb), its own signal, is
			// unchanged: it may always see back what it submitted.
			r = w.get("clb", purpose, "/v1/subjects/"+ref+"/card")
			if r.Status != 200 || !slices.Contains(cardFieldNames(t, r), field) {
				t.Errorf("clb's own card: %d %s", r.Status, r.Body)
			}
		})
	}
}

// nationalNumberFor builds a valid Belgian national number for a birth date
// and a sequence number, with the check of people born before 2000 or from
// 2000 on.
func nationalNumberFor(t *testing.T, birth time.Time, seq string) string {
	t.Helper()
	digits := birth.Format("060102") + seq
	base, err := strconv.ParseInt(digits, 10, 64)
	must(t, err)
	if birth.Year() >= 2000 {
		base += 2_000_000_000
	}
	return fmt.Sprintf("%s%02d", digits, 97-base%97)
}

// TestRefusesMinorsReleasingMore: a minors.release that releases a class to
// an actor type release does not list under that purpose stops the broker
// at start, naming the file, the line, the purpose, the class and the
// actor type.
func TestRefusesMinorsReleasingMore(t *testing.T) {
	example, err := os.ReadFile(examplePath)
	must(t, err)
	cases := []struct {
		name, from, to, purpose, class, actorType string
	}{
		{"social to intelligence under case_conference",
			"      social:       [socio_preventive, municipal_service]\n",
			"      social:       [socio_preventive, municipal_service, intelligence]\n",
			"case_conference", "social", "intelligence"},
		{"presence to business under prioritisation",
			"      presence:     [socio_preventive, police, local_admin]\n",
			"      presence:     [socio_preventive, police, local_admin, business_association]\n",
			"prioritisation", "presence", "business_association"},
		{"a purpose release gives nothing",
			"    policy: {}\n  retention:\n",
			"    policy:\n      presence: [local_admin]\n  retention:\n",
			"policy", "presence", "local_admin"},
	}
	m := loadModel(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Count(string(example), c.from) != 1 {
				t.Fatalf("the example no longer holds %q once", c.from)
			}
			if slices.Contains(m.Release[c.purpose][c.class], c.actorType) {
				t.Fatalf("release gives %s %s under %s: not more", c.actorType, c.class, c.purpose)
			}
			path := filepath.Join(t.TempDir(), "minors-more.yaml")
			must(t, os.WriteFile(path, []byte(strings.Replace(string(example), c.from, c.to, 1)), 0o600))
			out := refusesToStart(t, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			for _, s := range []string{path + ":", `"` + c.purpose + `"`, `"` + c.class + `"`, `"` + c.actorType + `"`, "minors.release"} {
				if !strings.Contains(out, s) {
					t.Errorf("the refusal does not name %s:\n%s", s, out)
				}
			}
		})
	}
}
