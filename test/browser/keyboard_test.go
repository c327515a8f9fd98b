package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestIntakeByKeyboardAlone: the coordinator finds a new signal in the
// intake and dismisses it with a reason using the keyboard alone (Tab to
// the row's reason field, type, Tab to its button, Enter), in French.
func TestIntakeByKeyboardAlone(t *testing.T) {
	env := startWebEnv(t)
	sw := newTab(t)
	sw.SetLanguage("nl-BE")
	env.SignIn(sw, socialWorker)
	env.Visit(sw, "/signals/new")
	sw.Do(chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	fillSignal(sw)
	sw.Do(chromedp.Click(chromedp.CSS(`#signal-form button[type=submit]`)))
	sw.WaitFor("my signals after sending", 15*time.Second, func() error {
		if p := sw.Path(); p != "/signals/mine" {
			return fmt.Errorf("at %s: %w", p, errNotDone)
		}
		return nil
	})
	sw.Do(chromedp.WaitVisible(chromedp.CSS(`tr[id^=signal-]`)))
	id := strings.TrimPrefix(Eval[string](sw, `document.querySelector("tr[id^=signal-]").id`), "signal-")

	co := newTab(t)
	co.SetLanguage("fr-BE")
	env.SignIn(co, coordinator)
	env.Visit(co, "/intake")
	co.Do(chromedp.WaitVisible(chromedp.CSS(`#signal-` + id)))
	co.TabTo("reason", 60)
	if got := Eval[string](co, "document.activeElement.id"); got != "dismiss-reason-"+id {
		t.Fatalf("Tab reached the reason field %q, want the new signal's", got)
	}
	co.Type("Pas de suivi nécessaire.")
	co.Do(chromedp.KeyEvent(kb.Tab))
	if label := Eval[string](co, "document.activeElement.textContent.trim()"); label != Eval[string](co,
		`document.querySelector("#signal-`+id+` form.dismiss button").textContent.trim()`) {
		t.Fatalf("Tab after the reason stopped at %q, not the row's dismiss button", label)
	}
	co.Do(chromedp.KeyEvent(kb.Enter))
	co.WaitFor("the signal dismissed", 15*time.Second, func() error {
		cls, err := TryEval[string](co, `(document.querySelector("#signal-`+id+` .state")||{}).className||""`)
		if err != nil || !strings.Contains(cls, "state-dismissed") {
			return fmt.Errorf("state %q: %w", cls, errNotDone)
		}
		return nil
	})
	co.CheckPage("the intake after a dismissal by keyboard")
}
