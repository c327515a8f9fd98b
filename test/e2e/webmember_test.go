package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The roster member's pages and the tactical table, end to end: the police
// information officer (pz, on the roster and at the tactical table) opens
// the card from the dossier page and sees exactly what the API answers it,
// sets the priority, assigns a task to a roster actor and reports on it;
// an actor off the roster gets the uniform refusal.

// memberCase makes a dossier about one person from three signals, with
// roster, by the API; it returns the dossier's id and the pseudonym.
func (w *webCell) memberCase(t *testing.T, roster ...string) (string, string) {
	t.Helper()
	var ids []string
	for _, s := range []struct{ actor, fields, at string }{
		{"pz", `{"police_record":"pv 2026/123 <5 items"}`, "2026-11-20T09:30:00Z"},
		{"clb", `{"presence":"absent","school_absence_days":12}`, "2026-11-22T09:30:00Z"},
		{"jeugddienst", `{"family_situation":"secret-family","indicators":["a","b"]}`, "2026-11-21T09:30:00Z"},
	} {
		ids = append(ids, w.submit(t, s.actor, `{"subject":{"national_number":"85073003328"},"observed_at":"`+s.at+`","fields":`+s.fields+`}`))
	}
	coord := []string{"Authorization", "Bearer " + w.iss.token(t, "zonnedaal", "preventie"), "LIVC-Purpose", "case_conference"}
	var page struct {
		Items []struct {
			ID  string
			Ref string `json:"subject_ref"`
		}
	}
	do(t, "GET", w.b.URL+"/v1/signals", nil, coord...).json(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("no signal in the intake")
	}
	ref := page.Items[0].Ref
	body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": ids, "category": "radicalisation"})
	r := do(t, "POST", w.b.URL+"/v1/cases", body, append(coord, "Content-Type", "application/json")...)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := jsonField(t, r.Body, "id")
	body, _ = json.Marshal(map[string][]string{"actors": roster})
	if r := do(t, "PUT", w.b.URL+"/v1/cases/"+id+"/roster", body, append(coord, "Content-Type", "application/json")...); r.Status != 200 {
		t.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	return id, ref
}

// reCardEntry reads an entry of the card page: field, the value as the API
// gives it (data-value; the text shown may be a label or a Belgian date),
// record and source.
var reCardEntry = regexp.MustCompile(`<li class="entry" data-field="([^"]+)" data-value="([^"]*)" data-record="([^"]+)" data-source="([^"]+)">`)

// apiCard is the card the API answers actor, as "field|record|source|value"
// lines (values as text, lists joined by ", "), and its withheld count.
func (w *webCell) apiCard(t *testing.T, actor, ref string) ([]string, *int) {
	t.Helper()
	r := do(t, "GET", w.b.URL+"/v1/subjects/"+ref+"/card", nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", actor),
		"LIVC-Purpose", "case_conference")
	if r.Status != 200 {
		t.Fatalf("the API's card for %s: %d %s", actor, r.Status, r.Body)
	}
	var card struct {
		Fields map[string][]struct {
			Value          any
			Source, Record string
		}
		Withheld *int
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&card); err != nil {
		t.Fatal(err)
	}
	var out []string
	for name, vs := range card.Fields {
		for _, v := range vs {
			text := fmt.Sprint(v.Value)
			if l, ok := v.Value.([]any); ok {
				var parts []string
				for _, p := range l {
					parts = append(parts, fmt.Sprint(p))
				}
				text = strings.Join(parts, ", ")
			}
			out = append(out, name+"|"+v.Record+"|"+v.Source+"|"+text)
		}
	}
	sort.Strings(out)
	return out, card.Withheld
}

func TestWebCard(t *testing.T) {
	w := startWebCell(t)
	caseID, ref := w.memberCase(t, "pz")
	br := newBrowser(t, w.b.URL)
	br.signIn("pz")
	br.lang = "en"
	k := br.get("/cases/" + caseID)
	if k.Status != 200 || !strings.Contains(k.Body, `href="/subjects/`+ref+`/card"`) {
		t.Fatalf("the dossier page has no link to the card: %d %s", k.Status, k.Body)
	}
	p := br.get("/subjects/" + ref + "/card")
	if p.Status != 200 {
		t.Fatalf("the card page: %d %s", p.Status, p.Body)
	}
	checkSecurityHeaders(t, p)
	var got []string
	for _, m := range reCardEntry.FindAllStringSubmatch(p.Body, -1) {
		got = append(got, m[1]+"|"+m[3]+"|"+m[4]+"|"+html.UnescapeString(m[2]))
	}
	sort.Strings(got)
	want, withheld := w.apiCard(t, "pz", ref)
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the card page shows\n%s\nthe API answers\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(p.Body, `\u003c`) {
		t.Errorf("the page writes < as \\u003c")
	}
	t.Run("withheld only where the API gives it", func(t *testing.T) {
		has := strings.Contains(p.Body, `id="card-withheld"`)
		if (withheld != nil) != has || (withheld != nil && !strings.Contains(p.Body, withheldText(*withheld))) {
			t.Fatalf("withheld %v, the page's notice %v", withheld, has)
		}
	})
	t.Run("newest first within a class", func(t *testing.T) {
		times := regexp.MustCompile(`<section class="card-class" aria-labelledby="class-social">(?s:(.*?))</section>`).FindStringSubmatch(p.Body)
		if times == nil {
			t.Fatalf("no social class on the card")
		}
		ts := regexp.MustCompile(`datetime="([^"]+)"`).FindAllStringSubmatch(times[1], -1)
		for i := 1; i < len(ts); i++ {
			if ts[i][1] > ts[i-1][1] {
				t.Fatalf("not newest first: %v", ts)
			}
		}
	})
	t.Run("off the roster, the uniform refusal", func(t *testing.T) {
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		off := ocmw.get("/subjects/" + ref + "/card")
		unknown := "s_" + strings.Repeat("a", 26) // well-formed, no such person
		none := ocmw.get("/subjects/" + unknown + "/card")
		if off.Status != http.StatusNotFound || none.Status != http.StatusNotFound {
			t.Fatalf("off the roster %d, an unknown person %d, want 404 both", off.Status, none.Status)
		}
		// The pages differ only by the audit entry's id and the path in
		// the language switcher's links.
		strip := regexp.MustCompile(`aud_[a-z0-9]+|` + ref + `|` + unknown)
		if strip.ReplaceAllString(off.Body, "") != strip.ReplaceAllString(none.Body, "") {
			t.Fatalf("the refusal tells apart a known person:\n%s\n%s", off.Body, none.Body)
		}
		if r := do(t, "GET", w.b.URL+"/v1/subjects/"+ref+"/card", nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "ocmw"),
			"LIVC-Purpose", "case_conference"); r.Status != http.StatusNotFound {
			t.Fatalf("the API's card off the roster: %d", r.Status)
		}
	})
}

// TestWebTacticalAndTasks: the priority and a task from the dossier page,
// the report from "my tasks"; each needs the CSRF token.
func TestWebTacticalAndTasks(t *testing.T) {
	w := startWebCell(t)
	caseID, _ := w.memberCase(t, "pz", "clb")
	br := newBrowser(t, w.b.URL)
	br.signIn("pz")
	br.lang = "en"
	tok := br.csrf("/cases/" + caseID)
	pz := []string{"Authorization", "Bearer " + w.iss.token(t, "zonnedaal", "pz"), "LIVC-Purpose", "prioritisation"}
	dossier := func() (k struct {
		Priority int
		Tasks    []struct{ ID, Actor, Status string }
	}) {
		do(t, "GET", w.b.URL+"/v1/cases/"+caseID, nil, pz...).json(t, &k)
		return k
	}
	t.Run("priority", func(t *testing.T) {
		if p := br.post("/cases/"+caseID+"/priority", "", url.Values{"priority": {"2"}}); p.Status != http.StatusForbidden {
			t.Fatalf("without the token: %d", p.Status)
		}
		if k := dossier(); k.Priority != 0 {
			t.Fatalf("a refused request set the priority %d", k.Priority)
		}
		if p := br.post("/cases/"+caseID+"/priority", tok, url.Values{"priority": {"2"}}); p.Status != 200 || !strings.Contains(p.Body, `<option value="2" selected>`) {
			t.Fatalf("set the priority: %d %s", p.Status, p.Body)
		}
		if k := dossier(); k.Priority != 2 {
			t.Fatalf("the API's priority %d, want 2", k.Priority)
		}
	})
	task := url.Values{"actor": {"pz"}, "description": {"check the address"}, "due": {"2026-12-31"}, "scenario": {"preventive"}}
	t.Run("assign", func(t *testing.T) {
		if p := br.post("/cases/"+caseID+"/tasks", "", task); p.Status != http.StatusForbidden {
			t.Fatalf("without the token: %d", p.Status)
		}
		off := url.Values{"actor": {"ocmw"}, "description": {"x"}, "due": {"2026-12-31"}, "scenario": {"preventive"}}
		if p := br.post("/cases/"+caseID+"/tasks", tok, off); p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("to an actor off the roster: %d", p.Status)
		}
		if k := dossier(); len(k.Tasks) != 0 {
			t.Fatalf("refused requests assigned %v", k.Tasks)
		}
		if p := br.post("/cases/"+caseID+"/tasks", tok, task); p.Status != 200 {
			t.Fatalf("assign: %d %s", p.Status, p.Body)
		}
		if k := dossier(); len(k.Tasks) != 1 || k.Tasks[0].Actor != "pz" {
			t.Fatalf("the API's tasks %v", k.Tasks)
		}
	})
	t.Run("report", func(t *testing.T) {
		mine := br.get("/tasks/mine")
		m := regexp.MustCompile(`action="/cases/` + caseID + `/tasks/(task_[a-z2-7]+)/report"`).FindStringSubmatch(mine.Body)
		if mine.Status != 200 || m == nil || !strings.Contains(mine.Body, "check the address") {
			t.Fatalf("my tasks: %d %s", mine.Status, mine.Body)
		}
		path := "/cases/" + caseID + "/tasks/" + m[1] + "/report"
		rep := url.Values{"status": {"done"}, "report": {"address checked"}}
		if p := br.post(path, "", rep); p.Status != http.StatusForbidden {
			t.Fatalf("without the token: %d", p.Status)
		}
		if k := dossier(); k.Tasks[0].Status != "open" {
			t.Fatalf("a refused report moved the task to %s", k.Tasks[0].Status)
		}
		if p := br.post(path, tok, rep); p.Status != 200 || !strings.Contains(p.Body, `<dd class="task-status">done</dd>`) {
			t.Fatalf("report: %d %s", p.Status, p.Body)
		}
		if k := dossier(); k.Tasks[0].Status != "done" {
			t.Fatalf("the API's task status %s, want done", k.Tasks[0].Status)
		}
	})
}

// withheldText is the card page's notice (in English) for n withheld values.
func withheldText(n int) string {
	if n == 0 {
		return ">Nothing is withheld from you.<"
	}
	return fmt.Sprintf(">%d values are withheld", n)
}
