package browser

import (
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The coordinator's work on a dossier after the intake, in the browser:
// the roster, a case conference's minutes (refused first without an
// attendee, the error shown at the form), the moves to closed with the
// weighing's outcome, what expires soon, and the closed dossier's review.
// Every page is checked with axe-core on the way.
func coordinatorDossier(tab *Tab, env *webEnv, caseID string) {
	t := tab.t
	t.Helper()
	env.Visit(tab, "/cases/"+caseID)
	tab.Do(chromedp.Click(chromedp.CSS(`#roster-ocmw`)), chromedp.Click(chromedp.CSS(`#roster-pz`)),
		chromedp.Click(chromedp.CSS(`form[action$="/roster"] button`)))
	waitCSS(tab, "the roster saved", `#roster-pz[checked]`)
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`#attendee-pz`)))
	tab.CheckPage("the dossier with its roster")

	held := time.Now().Add(-26 * time.Hour).Format("2006-01-02T15:04")
	tab.Do(chromedp.SetValue(chromedp.CSS(`#held-at`), held),
		chromedp.Click(chromedp.CSS(`#minutes-form button[type=submit]`)))
	waitCSS(tab, "the minutes refused without an attendee", `#minutes-error`)
	tab.CheckPage("the minutes' form with its error")
	tab.Screenshot("coordinator-case-minutes-refused-nl")

	tab.Do(chromedp.SetValue(chromedp.CSS(`#held-at`), held),
		chromedp.Click(chromedp.CSS(`#attendee-ocmw`)), chromedp.Click(chromedp.CSS(`#attendee-pz`)),
		chromedp.SetValue(chromedp.CSS(`#decision-text-0`), "De school contacteren over de afwezigheden."),
		chromedp.SetValue(chromedp.CSS(`#decision-actor-0`), "ocmw"),
		chromedp.SetValue(chromedp.CSS(`#decision-due-0`), time.Now().AddDate(0, 0, 14).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.CSS(`#decision-text-1`), "Huisbezoek plannen."),
		chromedp.SetValue(chromedp.CSS(`#decision-actor-1`), "pz"),
		chromedp.SetValue(chromedp.CSS(`#decision-due-1`), time.Now().AddDate(0, 0, 30).Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS(`#minutes-form button[type=submit]`)))
	waitCSS(tab, "the minutes recorded", `li[id^=meeting-]`)
	if n := Eval[int](tab, `document.querySelectorAll("li[id^=meeting-] tbody tr").length`); n != 2 {
		t.Errorf("the minutes show %d decisions, want 2", n)
	}
	tab.CheckPage("the dossier with its minutes")

	for i, to := range []string{"formation", "weighing", "closed"} {
		acts := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS(`#move-to`), to),
			chromedp.SetValue(chromedp.CSS(`#move-reason`), "Besproken op het casusoverleg.")}
		if to == "closed" {
			acts = append(acts, chromedp.SetValue(chromedp.CSS(`#move-outcome`), "referred_elsewhere"))
		}
		acts = append(acts, chromedp.Click(chromedp.CSS(`form[action$="/transitions"] button`)))
		tab.Do(acts...)
		// The move is done when the reloaded page's history holds it.
		waitCSS(tab, "the dossier in "+to, fmt.Sprintf(`ol.history li:nth-child(%d)`, i+1))
		if to == "formation" {
			tab.Do(chromedp.WaitReady(chromedp.CSS(`#move-to`)))
		}
	}
	if h := Eval[string](tab, `document.querySelector("ol.history").textContent`); !strings.Contains(h, "doorverwezen") {
		t.Errorf("the history does not show the outcome: %q", h)
	}
	tab.CheckPage("the closed dossier")

	env.Visit(tab, "/retention?days=36525")
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`#expiry-` + caseID)))
	tab.CheckPage("what expires soon")
	// The review goes back to this page: a mark on the old document tells
	// the new one from it.
	Eval[int](tab, `window.__livcBefore = 1`)
	tab.Do(chromedp.SetValue(chromedp.CSS(`#review-`+caseID), "Nieuwe signalen verwacht."),
		chromedp.Click(chromedp.CSS(`#expiry-`+caseID+` form.review button`)))
	tab.WaitFor("the review done", 15*time.Second, func() error {
		fresh, err := TryEval[bool](tab, `window.__livcBefore === undefined && document.readyState === "complete" && !!document.querySelector("main h1")`)
		if err != nil || !fresh || tab.Path() != "/retention" {
			return errNotDone
		}
		return nil
	})
	tab.CheckPage("what expires soon after the review")
}

// waitCSS waits for an element to match sel.
func waitCSS(tab *Tab, what, sel string) {
	tab.t.Helper()
	tab.WaitFor(what, 15*time.Second, func() error {
		if n, err := TryEval[int](tab, `document.querySelectorAll(`+jsonString(sel)+`).length`); err != nil || n == 0 {
			return fmt.Errorf("no %s: %w", sel, errNotDone)
		}
		return nil
	})
}
