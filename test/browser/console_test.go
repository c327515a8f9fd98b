package browser

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/test/oidcprovider"
)

const (
	// privacyOfficer is the demo cell's privacy officer (actor dpo).
	privacyOfficer = "eva.dpo"
	// consoleNN is the national number of the person of the console's test.
	consoleNN = "85073003328"
	// formulaSub is the sub of the police officer's token: a value a
	// spreadsheet would run as a formula, which the CSV export must defuse.
	formulaSub = "=1+2"
)

// consoleWorld is what the console's test made through the API: the
// person's pseudonym and the card read whose entry the pages must show.
type consoleWorld struct {
	Ref    string
	ReadID string
	Read   broker.AuditEntry
	Proof  broker.InclusionProof
}

// TestPrivacyConsole is the privacy officer's work in the browser, against
// the real broker and Redis. Through the API, with real tokens, the police
// sends a signal about a person and reads the person's card, then reads an
// unknown person five times (refused: an alert). The privacy officer then
// filters the log to the person with the keyboard alone (Tab, typing,
// Enter) and finds that card read; opens its entry with the released
// field names and the inclusion proof the API gives; finds it again in
// "who saw what" by national number, whose address and the broker's log
// hold no identity; exports the view as CSV (checked row by row against
// the API's log, the formula in a sub defused, the export itself audited);
// sees the alert; prints the view. axe-core checks every page, each
// photographed in nl, fr and en, and printed.
func TestPrivacyConsole(t *testing.T) {
	env := startWebEnv(t)
	env.Provider.AddUser(oidcprovider.User{Login: privacyOfficer, Subject: "sub-eva",
		Claims: map[string]any{"livc": "zonnedaal", "actor": "dpo"}})
	w := consoleSetup(t, env)

	dpo := newTab(t)
	dpo.SetLanguage("en-BE")
	env.SignIn(dpo, privacyOfficer)
	env.Visit(dpo, "/privacy/audit")
	dpo.CheckPage("the audit log")

	t.Run("filter to the person by keyboard alone", func(t *testing.T) { filterByKeyboard(t, dpo, w) })
	t.Run("paging", func(t *testing.T) { checkPaging(t, env, dpo, w) })
	env.Visit(dpo, "/privacy/audit?subject_ref="+w.Ref)
	t.Run("the entry and its proof", func(t *testing.T) { checkEntryPage(t, env, dpo, w) })
	t.Run("who saw what by national number", func(t *testing.T) { checkWhoSaw(t, env, dpo, w) })
	t.Run("CSV export of the filtered view", func(t *testing.T) { checkExport(t, env, dpo, w) })
	t.Run("alerts", func(t *testing.T) {
		env.Visit(dpo, "/privacy/alerts")
		if n := Eval[int](dpo, `document.querySelectorAll("tr.alert-repeated_denials").length`); n != 1 {
			t.Fatalf("%d alerts of repeated refusals, want 1", n)
		}
		dpo.CheckPage("the alerts")
	})
	t.Run("printed report", func(t *testing.T) { checkPrint(t, env, dpo, w) })
	t.Run("pages in nl, fr and en", func(t *testing.T) { consoleScreenshots(t, env, dpo, w) })
}

// consoleSetup does, through the API, what the privacy officer will find.
func consoleSetup(t *testing.T, env *webEnv) consoleWorld {
	t.Helper()
	plain, _ := json.Marshal(map[string]any{"subject": map[string]string{"national_number": consoleNN},
		"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"presence": "absent", "signal_text": "Not seen at school for weeks."}})
	var rc broker.Receipt
	env.API(t, "POST", "/v1/signals", "pz", formulaSub, "signal", "application/age", env.sealToBroker(t, plain)).JSON(t, 201, &rc)
	var intake broker.SignalPage
	env.API(t, "GET", "/v1/signals?limit=1000", "preventie", "sub-piet", "case_conference", "", nil).JSON(t, 200, &intake)
	var w consoleWorld
	for _, s := range intake.Items {
		if s.ID == rc.ID {
			w.Ref = s.SubjectRef
		}
	}
	if w.Ref == "" {
		t.Fatalf("signal %s is not in the intake", rc.ID)
	}
	read := env.API(t, "GET", "/v1/subjects/"+w.Ref+"/card", "pz", formulaSub, "case_conference", "", nil)
	var card broker.Card
	read.JSON(t, 200, &card)
	w.ReadID = read.Header.Get("X-Audit-Id")
	for range 5 {
		if a := env.API(t, "GET", "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card", "pz", "sub-rita", "case_conference", "", nil); a.Status != 404 {
			t.Fatalf("an unknown person's card: %d", a.Status)
		}
	}
	env.API(t, "GET", "/v1/audit/proof?id="+w.ReadID, "dpo", "sub-eva", "audit_review", "", nil).JSON(t, 200, &w.Proof)
	if err := json.Unmarshal(w.Proof.Entry, &w.Read); err != nil {
		t.Fatal(err)
	}
	if w.Read.Action != broker.ActionCardRead || !slices.Contains(w.Read.Released, "presence") {
		t.Fatalf("the card read's entry: %+v", w.Read)
	}
	return w
}

// submitByEnter presses Enter in the focused control and waits for the
// page the server answers.
func submitByEnter(tab *Tab) {
	tab.t.Helper()
	_ = Eval[bool](tab, `window.livcOld = true`)
	tab.Do(chromedp.KeyEvent(kb.Enter))
	tab.WaitFor("the answer to Enter", 15*time.Second, func() error {
		if done, _ := TryEval[bool](tab, `!window.livcOld && document.readyState === "complete"`); !done {
			return errNotDone
		}
		return nil
	})
}

func filterByKeyboard(t *testing.T, dpo *Tab, w consoleWorld) {
	dpo.TabTo("subject_ref", 40)
	dpo.Type(w.Ref)
	submitByEnter(dpo)
	if q := Eval[string](dpo, `new URLSearchParams(location.search).get("subject_ref")`); q != w.Ref {
		t.Fatalf("the filter's address: %q", q)
	}
	row := `document.querySelector("#entry-` + w.ReadID + `")`
	if a := Eval[string](dpo, row+`.dataset.action`); a != broker.ActionCardRead {
		t.Fatalf("the card read's row says %q", a)
	}
	cells := Eval[[]string](dpo, `[...`+row+`.cells].map(c => c.textContent.trim())`)
	want := fmt.Sprintf("%d / %d", len(w.Read.Released), len(w.Read.Withheld))
	if !strings.Contains(cells[1], "pz") || !strings.Contains(cells[1], formulaSub) || cells[7] != want {
		t.Fatalf("the card read's row: %q, want actor pz (%s) and counts %q", cells, formulaSub, want)
	}
	for _, ref := range Eval[[]string](dpo, `[...document.querySelectorAll("table.audit tbody tr td:nth-child(6)")].map(c => c.textContent.trim())`) {
		if ref != w.Ref {
			t.Fatalf("a row about %q in the person's view", ref)
		}
	}
	dpo.CheckPage("the audit log filtered to a person")
}

func checkEntryPage(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	dpo.Do(chromedp.Click(chromedp.CSS(`#entry-`+w.ReadID+` td a`)), chromedp.WaitVisible(chromedp.CSS(`#proof-index`)))
	if p := dpo.Path(); p != "/privacy/audit/"+w.ReadID {
		t.Fatalf("the entry's link led to %s", p)
	}
	released := Eval[[]string](dpo, `[...document.querySelectorAll("#entry-released [data-field]")].map(e => e.dataset.field)`)
	if !slices.Equal(released, w.Read.Released) {
		t.Fatalf("released %v, the log says %v", released, w.Read.Released)
	}
	if got := Eval[string](dpo, `document.querySelector("#entry-sub").textContent`); got != formulaSub {
		t.Errorf("sub %q", got)
	}
	var pr broker.InclusionProof
	env.API(t, "GET", "/v1/audit/proof?id="+w.ReadID, "dpo", "sub-eva", "audit_review", "", nil).JSON(t, 200, &pr)
	index := Eval[string](dpo, `document.querySelector("#proof-index").textContent`)
	leaf := Eval[string](dpo, `document.querySelector("#proof-leaf").textContent`)
	hashes := Eval[[]string](dpo, `[...document.querySelectorAll("#proof-hashes code")].map(e => e.textContent)`)
	checkpoint := Eval[string](dpo, `document.querySelector("#proof-checkpoint").textContent`)
	if index != fmt.Sprint(pr.Index) || leaf != pr.LeafHash || checkpoint == "" {
		t.Fatalf("the page's proof: index %s leaf %s; the API's: %d %s", index, leaf, pr.Index, pr.LeafHash)
	}
	if checkpoint == pr.Checkpoint && !slices.Equal(hashes, pr.Proof) {
		t.Fatalf("proof hashes %v, the API's in the same checkpoint %v", hashes, pr.Proof)
	}
	if len(hashes) == 0 {
		t.Fatal("no proof hash: the log holds more than one entry")
	}
	dpo.CheckPage("an audit entry")
}

// whoSaw asks "who saw what" of the console's person by national number.
func whoSaw(dpo *Tab, env *webEnv) {
	dpo.t.Helper()
	env.Visit(dpo, "/privacy/who")
	dpo.Do(chromedp.SendKeys(chromedp.CSS(`#who-nn`), consoleNN))
	submitAndWait(dpo, `#who-send`)
}

func checkWhoSaw(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	dpo.CheckPage("who saw what: the form")
	dpo.ResetRequests()
	whoSaw(dpo, env)
	if href := Eval[string](dpo, "location.href"); !strings.HasSuffix(href, "/privacy/who") {
		t.Fatalf("the answer is at %s", href)
	}
	for _, r := range dpo.AllRequests() {
		if strings.Contains(r.URL, consoleNN) {
			t.Fatalf("a URL holds the national number: %s", r.URL)
		}
	}
	if strings.Contains(env.Broker.logs.String(), consoleNN) {
		t.Fatal("the broker's log holds the national number")
	}
	if h := Eval[string](dpo, `document.querySelector("#who-result-h").textContent`); !strings.Contains(h, w.Ref) {
		t.Fatalf("the result is about %q, want %s", h, w.Ref)
	}
	released := Eval[[]string](dpo, `[...document.querySelectorAll("#entry-`+w.ReadID+` .released [data-field]")].map(e => e.dataset.field)`)
	if !slices.Equal(released, w.Read.Released) {
		t.Fatalf("who saw what shows released %v, the log says %v", released, w.Read.Released)
	}
	dpo.CheckPage("who saw what: the answer")
}

// csvColumns is the export's header row.
var csvColumns = []string{"id", "index", "time", "actor", "sub", "action", "purpose", "decision",
	"subject_ref", "case_id", "released", "withheld", "policy_revision", "reason", "request_id"}

func checkExport(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	env.Visit(dpo, "/privacy/audit?subject_ref="+w.Ref)
	type answer struct {
		Status             int
		Type, CD, CC, Body string
	}
	a := Eval[answer](dpo, `fetch(document.querySelector("#export-csv").href).then(async r => ({Status: r.status,
		Type: r.headers.get("content-type"), CD: r.headers.get("content-disposition"),
		CC: r.headers.get("cache-control"), Body: await r.text()}))`)
	if a.Status != 200 || a.Type != "text/csv; charset=utf-8" || !strings.HasPrefix(a.CD, `attachment; filename="audit-zonnedaal-`) || a.CC != "no-store" {
		t.Fatalf("the export's answer: %d %q %q %q", a.Status, a.Type, a.CD, a.CC)
	}
	rows, err := csv.NewReader(strings.NewReader(a.Body)).ReadAll()
	if err != nil || len(rows) < 2 || !slices.Equal(rows[0], csvColumns) {
		t.Fatalf("the CSV (%v): %q", err, a.Body)
	}
	var after broker.AuditPage
	env.API(t, "GET", "/v1/audit?limit=1000&subject_ref="+w.Ref, "dpo", "sub-eva", "audit_review", "", nil).JSON(t, 200, &after)
	byID := map[string]broker.AuditEntry{}
	for _, e := range after.Items {
		byID[e.ID] = e
	}
	for _, row := range rows[1:] {
		e, ok := byID[row[0]]
		if !ok || row[8] != w.Ref || row[5] != e.Action {
			t.Fatalf("CSV row %q is not an entry of the person's log", row)
		}
		delete(byID, row[0])
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("a cell a spreadsheet would run: %q", cell)
			}
		}
		if row[0] == w.ReadID && (row[4] != "'"+formulaSub || row[10] != strings.Join(w.Read.Released, " ")) {
			t.Fatalf("the card read's row: %q", row)
		}
	}
	// What the API lists and the CSV does not: the export's own entry and
	// the API's listing just now, nothing else.
	var export []broker.AuditEntry
	for _, e := range byID {
		if e.Action == broker.ActionAuditExport {
			export = append(export, e)
		} else if e.Action != broker.ActionAuditRead || e.Actor != "dpo" {
			t.Fatalf("an entry missing from the CSV: %+v", e)
		}
	}
	if len(byID) != 2 || len(export) != 1 || export[0].Reason != broker.ReasonFilteredExport ||
		export[0].Sub != "sub-eva" || export[0].Purpose != broker.PurposeAuditReview || export[0].Decision != broker.DecisionAllow {
		t.Fatalf("the export's own entry, %d left: %+v", len(byID), export)
	}
}

func checkPrint(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	env.Visit(dpo, "/lang/en?next="+url.QueryEscape("/privacy/audit?subject_ref="+w.Ref))
	media := func(m string) {
		if err := call(dpo, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			t.Fatal(err)
		}
	}
	media("print")
	defer media("")
	shown := Eval[map[string]string](dpo, `Object.fromEntries(["header nav", "form.filters", ".actions-row", ".report-head", ".signature", "table.audit"]
		.map(s => [s, getComputedStyle(document.querySelector(s)).display]))`)
	for sel, want := range map[string]bool{"header nav": false, "form.filters": false, ".actions-row": false,
		".report-head": true, ".signature": true, "table.audit": true} {
		if (shown[sel] != "none") != want {
			t.Errorf("printed, %s is display %q", sel, shown[sel])
		}
	}
	dpo.Screenshot("console-audit-print-en")
	media("")
	whoSaw(dpo, env)
	media("print")
	if d := Eval[string](dpo, `getComputedStyle(document.querySelector("form.who")).display`); d != "none" {
		t.Errorf("printed, the who-saw-what form is display %q", d)
	}
	dpo.Screenshot("console-who-print-en")
}

// consoleScreenshots photographs every page of the console in the three
// languages, each checked by axe-core.
func consoleScreenshots(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	pages := []struct{ name, path string }{
		{"audit", "/privacy/audit?subject_ref=" + w.Ref},
		{"entry", "/privacy/audit/" + w.ReadID},
		{"alerts", "/privacy/alerts"},
	}
	for _, lang := range []string{"nl", "fr", "en"} {
		for _, p := range pages {
			env.Visit(dpo, "/lang/"+lang+"?next="+url.QueryEscape(p.path))
			if got := Eval[string](dpo, "document.documentElement.lang"); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", p.path, lang, got)
			}
			if lang != "en" { // checked in English above
				dpo.CheckPage(p.name + " in " + lang)
			}
			dpo.Screenshot("console-" + p.name + "-" + lang)
			if lang == "en" && p.name == "audit" {
				dpo.Do(chromedp.EmulateViewport(1280, 1100)) // the README's picture
				dpo.ScreenshotViewport("console-audit-viewport-en")
				dpo.Do(chromedp.EmulateReset())
			}
		}
		whoSaw(dpo, env)
		if lang != "en" {
			dpo.CheckPage("who saw what in " + lang)
		}
		dpo.Screenshot("console-who-" + lang)
	}
}

// checkPaging pages through the person's view two entries at a time, to
// its end: every page holds two entries but the last, the filter is kept,
// no entry shows twice, and together they are the view on one page.
func checkPaging(t *testing.T, env *webEnv, dpo *Tab, w consoleWorld) {
	env.Visit(dpo, "/privacy/audit?limit=1000&subject_ref="+w.Ref)
	rows := `[...document.querySelectorAll("table.audit tbody tr")].map(r => r.id)`
	all := Eval[[]string](dpo, rows)
	env.Visit(dpo, "/privacy/audit?limit=2&subject_ref="+w.Ref)
	var seen []string
	for page := 1; ; page++ {
		ids := Eval[[]string](dpo, rows)
		if len(ids) != 2 && Eval[bool](dpo, `!!document.querySelector("#next-page")`) || len(ids) == 0 {
			t.Fatalf("page %d holds %d entries", page, len(ids))
		}
		seen = append(seen, ids...)
		if q := Eval[string](dpo, `new URLSearchParams(location.search).get("subject_ref")`); q != w.Ref {
			t.Fatalf("page %d lost the filter: %s", page, Eval[string](dpo, "location.search"))
		}
		if !Eval[bool](dpo, `!!document.querySelector("#next-page")`) {
			break
		}
		submitAndWait(dpo, `#next-page`)
	}
	// The view on one page was read before the paging began, which added
	// an entry about the person: the pages hold it too, first.
	if len(seen) < 3 || !slices.Equal(seen[len(seen)-len(all):], all) {
		t.Fatalf("the pages hold %v, the whole view %v", seen, all)
	}
	dpo.CheckPage("the last page of the log")
}
