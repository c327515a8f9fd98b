package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// checkCardText: the card writes an enum value by its label in the page's
// language and a date as dd/mm/yyyy (pz reads Dutch here).
func checkCardText(t *testing.T, pz *Tab) {
	t.Helper()
	for sel, want := range map[string]string{
		`li.entry[data-field=presence] .value`:        "afwezig",
		`li.entry[data-field=birth_date] .value`:      "30/07/1985",
		`li.entry[data-field=national_number] .value`: "85.07.30-033.28",
	} {
		if got := Eval[string](pz, `(document.querySelector("`+sel+`")||{}).textContent||""`); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if strings.Contains(Eval[string](pz, "document.body.innerHTML"), `\u003c`) {
		t.Error("the card holds an escaped \\u003c")
	}
}

// checkCasesMine: the coordinator records a case conference through the
// API; pz's "dossiers I'm on" shows the dossier with the state and the
// priority the API gives pz, and the minutes' decision with its due date
// as dd/mm/yyyy.
func checkCasesMine(t *testing.T, env *webEnv, pz *Tab, caseID string) {
	t.Helper()
	meeting := map[string]any{"held_at": "2026-11-27T14:00:00+01:00", "attendees": []string{"pz"},
		"decisions": []map[string]string{{"text": "Huisbezoek plannen", "actor": "pz", "due": "2026-12-15"}}}
	if st := env.api(t, "preventie", "POST", "/v1/cases/"+caseID+"/meetings", "case_conference", meeting, nil); st != 201 {
		t.Fatalf("recording the minutes through the API: %d", st)
	}
	var k struct {
		State    string      `json:"state"`
		Priority json.Number `json:"priority"`
	}
	if st := env.api(t, "pz", "GET", "/v1/cases/"+caseID, "case_conference", nil, &k); st != 200 {
		t.Fatalf("the API's dossier for pz: %d", st)
	}
	env.Visit(pz, "/cases/mine")
	pz.CheckPage("dossiers I'm on")
	sec := `#d-` + caseID
	text := Eval[string](pz, `(document.querySelector("section.dossier:has(`+sec+`)")||{}).innerText||""`)
	if text == "" {
		t.Fatalf("dossier %s is not on pz's page", caseID)
	}
	if got := Eval[string](pz, `document.querySelector("section.dossier:has(`+sec+`) .priority").textContent`); got != k.Priority.String() {
		t.Errorf("priority %q, the API gives %q", got, k.Priority)
	}
	stateLabel := map[string]string{"registration": "registratie", "formation": "vorming"}[k.State]
	if got := Eval[string](pz, `document.querySelector("section.dossier:has(`+sec+`) .state").textContent`); stateLabel == "" || !strings.EqualFold(got, stateLabel) {
		t.Errorf("state %q, the API gives %q", got, k.State)
	}
	for _, want := range []string{"Huisbezoek plannen", "15/12/2026", "27/11/2026 14:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dossier's minutes lack %q:\n%s", want, text)
		}
	}
	if n := Eval[int](pz, `document.querySelectorAll("main form").length`); n != 0 {
		t.Errorf("the read-only page has %d forms", n)
	}
}

// checkStats: pz, at the strategic table, sees the charts of GET
// /v1/stats: every count the API gives pz under policy, "<5" as text with
// the one fixed hatched bar and no bar of its own length, exact counts as
// bars proportional within their chart.
func checkStats(t *testing.T, env *webEnv, pz *Tab) {
	t.Helper()
	var st struct {
		Cases   map[string]map[string]any `json:"cases"`
		Signals map[string]map[string]any `json:"signals"`
	}
	if code := env.api(t, "pz", "GET", "/v1/stats", "policy", nil, &st); code != 200 {
		t.Fatalf("the API's stats for pz: %d", code)
	}
	env.Visit(pz, "/stats")
	pz.CheckPage("the strategic table")
	charts := map[string]map[string]any{"state": st.Cases["by_state"], "category": st.Cases["by_category"],
		"priority": st.Cases["by_priority"], "month": st.Signals["by_month"]}
	type row struct {
		Key, Count, Cell string
		Small, Exact     []string // widths of the hatched and the exact bars
	}
	small := 0
	for id, want := range charts {
		rows := Eval[[]row](pz, `[...document.querySelectorAll("#chart-`+id+` tbody tr")].map(r => ({Key: r.dataset.key,
			Count: r.dataset.count, Cell: r.querySelector(".count").textContent,
			Small: [...r.querySelectorAll("rect.small")].map(e => e.getAttribute("width")),
			Exact: [...r.querySelectorAll("rect.exact")].map(e => e.getAttribute("width"))}))`)
		if len(rows) != len(want) {
			t.Errorf("chart %s has %d rows, the API %d keys", id, len(rows), len(want))
		}
		for _, r := range rows {
			if w := fmt.Sprint(want[r.Key]); r.Count != w || r.Cell != w {
				t.Errorf("chart %s, %s: %q (cell %q), the API gives %q", id, r.Key, r.Count, r.Cell, w)
			}
			switch {
			case r.Count == "<5":
				small++
				if len(r.Exact) != 0 || len(r.Small) != 1 || r.Small[0] != "17" {
					t.Errorf("chart %s, %s: a <5 drawn as %v/%v, want only the fixed hatched bar", id, r.Key, r.Exact, r.Small)
				}
			case r.Count == "0":
				if len(r.Exact)+len(r.Small) != 0 {
					t.Errorf("chart %s, %s: a bar for 0", id, r.Key)
				}
			default:
				if len(r.Small) != 0 || len(r.Exact) != 1 {
					t.Errorf("chart %s, %s: count %s drawn as %v/%v", id, r.Key, r.Count, r.Exact, r.Small)
				}
			}
		}
	}
	if small == 0 {
		t.Error("no <5 on the strategic table: the fixture's single dossier should give one")
	}
	if !strings.Contains(Eval[string](pz, `document.getElementById("stats-legend").textContent`), "<5") {
		t.Error("the legend does not explain <5")
	}
}

// screenshotNewPages photographs the lookup, "dossiers I'm on" and the
// strategic table in nl, fr and en, each checked by axe-core.
func screenshotNewPages(t *testing.T, env *webEnv, pz *Tab) {
	t.Helper()
	for _, lang := range []string{"nl", "fr", "en"} {
		for name, path := range map[string]string{"lookup": "/lookup", "cases-mine": "/cases/mine", "stats": "/stats"} {
			env.Visit(pz, "/lang/"+lang+"?next="+path)
			if got := Eval[string](pz, "document.documentElement.lang"); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", path, lang, got)
			}
			if name == "lookup" {
				waitScripted(pz, "#lookup-form")
			}
			pz.CheckPage(path + " in " + lang)
			pz.Screenshot(fmt.Sprintf("member-%s-%s", name, lang))
		}
	}
}
