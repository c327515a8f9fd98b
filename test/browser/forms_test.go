package browser

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/livc/livc-broker/broker/nationalnumber"
)

// withCheck returns nine digits followed by the check the rule gives: for
// births before 2000 (plain) or from 2000 on (a 2 before the nine digits).
func withCheck(nine int64, from2000 bool) string {
	n := nine
	if from2000 {
		n += 2_000_000_000
	}
	return fmt.Sprintf("%09d%02d", nine, 97-n%97)
}

// TestNationalNumberCheckedWhileTyping types numbers into the form's field
// and compares the page's verdict (aria-invalid, the linked message) with
// the broker's own check, nationalnumber.Normalize.
func TestNationalNumberCheckedWhileTyping(t *testing.T) {
	f := newFixture(t, "age1pq1unused")
	tab := openFixture(t, f)
	cases := []struct {
		name, typed string
	}{
		{"born before 2000, written with separators", "85.07.30-033.28"},
		{"born before 2000, digits alone", "85073003328"},
		{"born from 2000 on", withCheck(10203123, true)},
		{"born from 2000 on, the pre-2000 check", withCheck(10203123, false)[:9] + withCheck(10203123, true)[9:]},
		{"one digit wrong", "85073003329"},
		{"twelve digits", "850730033281"},
		{"a letter", "8507300332A"},
		{"the 2000 rule's check on a 1985 number", withCheck(850730033, true)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab.t = t
			tab.Clear("#nn")
			tab.Type(c.typed)
			_, wantOK := nationalnumber.Normalize(c.typed)
			invalid := Eval[bool](tab, `document.querySelector("#nn").getAttribute("aria-invalid") === "true"`)
			if invalid == wantOK {
				t.Errorf("typed %q: aria-invalid=%v, the broker says valid=%v", c.typed, invalid, wantOK)
			}
			msg := Eval[string](tab, `(() => { const i = document.querySelector("#nn");
				const ids = (i.getAttribute("aria-describedby") || "").split(" ");
				const m = ids.map(id => document.getElementById(id)).find(e => e && e.classList.contains("field-error"));
				return m && !m.hidden ? m.textContent : "" })()`)
			if wantOK && msg != "" || !wantOK && msg != "Geen geldig rijksregisternummer." {
				t.Errorf("typed %q: linked message %q", c.typed, msg)
			}
		})
	}
	t.Run("not called wrong before the eleventh digit, but wrong on leaving", func(t *testing.T) {
		tab.t = t
		tab.Clear("#nn")
		tab.Type("850730")
		if Eval[bool](tab, `document.querySelector("#nn").hasAttribute("aria-invalid")`) {
			t.Error("six digits typed: already marked invalid")
		}
		tab.Do(chromedp.KeyEvent(kb.Tab))
		if !Eval[bool](tab, `document.querySelector("#nn").getAttribute("aria-invalid") === "true"`) {
			t.Error("six digits, field left: not marked invalid")
		}
	})
}

// TestInvalidNationalNumberBlocksSubmit: with a wrong number the form sends
// nothing and the focus goes back to the field.
func TestInvalidNationalNumberBlocksSubmit(t *testing.T) {
	f := newFixture(t, "age1pq1unused")
	tab := openFixture(t, f)
	tab.Do(
		chromedp.SetValue(chromedp.CSS("#observed"), "2026-11-20T10:30"),
		chromedp.SetValue(chromedp.CSS("#text"), "tekst"),
		chromedp.SetValue(chromedp.CSS("#nn"), "85073003329"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.Sleep(500*time.Millisecond),
	)
	if n := len(f.Posts()); n != 0 {
		t.Fatalf("the form was sent %d times with a wrong national number", n)
	}
	if got := tab.focused(); got != "subject.national_number" {
		t.Errorf("focus on %q, want the national number", got)
	}
	if !Eval[bool](tab, `document.querySelector("#nn").getAttribute("aria-invalid") === "true"`) {
		t.Error("the wrong number is not marked aria-invalid")
	}
}

// TestFixtureFormByKeyboard fills and sends the stand-in form with the
// keyboard alone, and checks it with axe-core before and after a wrong
// number is shown.
func TestFixtureFormByKeyboard(t *testing.T) {
	f := newFixture(t, mustHybridRecipient(t))
	tab := openFixture(t, f)
	tab.CheckAxe("the stand-in form")
	tab.TabTo("subject.national_number", 3)
	tab.Type("85073003329")
	tab.CheckAxe("the stand-in form with a wrong national number")
	tab.Do(chromedp.KeyEvent(kb.Backspace))
	tab.Type("8")
	// observed_at comes filled in (now, as the real page fills it); the
	// keyboard passes over its parts (a tab stop each), and over family name and presence.
	tab.TabTo("fields.signal_text", 12)
	tab.Type("Per toetsenbord ingevuld.")
	tab.TabTo("button", 4) // past the last fields to the button
	tab.Do(chromedp.KeyEvent(kb.Enter))
	tab.WaitFor("the form to be sent", 10*time.Second, func() error {
		if len(f.Posts()) == 0 {
			return fmt.Errorf("%w; form values %s", errNotDone, tryState(tab))
		}
		return nil
	})
}

// formState describes the signal form's controls for a failure message.
const formState = `JSON.stringify([...document.querySelectorAll("#signal-form [name]")].map(e =>
	[e.name, e.value, e.validationMessage]))`

// TestAxeSeesViolations: the accessibility check is not blind: a control
// whose label is taken away is reported.
func TestAxeSeesViolations(t *testing.T) {
	tab := openFixture(t, newFixture(t, "age1pq1unused"))
	Eval[chromedp.Void](tab, `document.querySelector("label[for=family]").remove()`)
	var ids []string
	for _, v := range tab.axeViolations() {
		ids = append(ids, v.ID)
	}
	if !slices.Contains(ids, "label") {
		t.Errorf("axe-core violations %v, want one for the unlabelled control", ids)
	}
}

// tryState is formState evaluated, or why it could not be.
func tryState(tab *Tab) string {
	s, err := TryEval[string](tab, formState)
	if err != nil {
		return err.Error()
	}
	return s
}
