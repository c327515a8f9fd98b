package browser

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core's minified script, copied by `make assets`; the
// tests inject it into the pages they check, it is never served to users.
//
//go:embed testdata/axe.min.js
var axeSource string

const cspRecorder = `window.__livcCSP = [];
document.addEventListener("securitypolicyviolation", e =>
	window.__livcCSP.push(e.violatedDirective + " " + (e.blockedURI || "inline")));`

// CheckPage checks the current page: axe-core finds no violation, and the
// browser reported no Content-Security-Policy violation on it.
func (tab *Tab) CheckPage(page string) {
	tab.t.Helper()
	tab.CheckAxe(page)
	if vs := Eval[[]string](tab, "window.__livcCSP || []"); len(vs) > 0 {
		tab.t.Errorf("%s: Content-Security-Policy violations: %v", page, vs)
	}
}

// axeViolation is what the tests report of one axe-core violation.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// CheckAxe runs axe-core (WCAG 2.0/2.1 A and AA rules and best practices)
// on the current page and fails the test on any violation, listing each.
func (tab *Tab) CheckAxe(page string) {
	tab.t.Helper()
	vs := tab.axeViolations()
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
	}
	tab.t.Errorf("axe-core on %s: %d violation(s):%s", page, len(vs), b.String())
}

// axeViolations injects axe-core into the page when it is not there yet
// (through the DevTools protocol, which the page's CSP does not govern) and
// returns the violations of the page as it is now.
func (tab *Tab) axeViolations() []axeViolation {
	tab.t.Helper()
	if !Eval[bool](tab, `typeof window.axe === "object"`) {
		Eval[chromedp.Void](tab, axeSource+"\n;0")
	}
	return Eval[[]axeViolation](tab, `axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			targets: v.nodes.map(n => n.target.join(" "))})))`)
}

// screenshotDir is LIVC_SCREENSHOTS or test/browser/screenshots.
func screenshotDir(t testing.TB) string {
	dir := os.Getenv("LIVC_SCREENSHOTS")
	if dir == "" {
		dir = "screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return dir
}

// Screenshot writes a full-page PNG of the current page as NAME.png.
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	return tab.screenshot(name, chromedp.FullScreenshot(100))
}

// ScreenshotViewport writes a PNG of what the window shows as NAME.png.
func (tab *Tab) ScreenshotViewport(name string) string {
	tab.t.Helper()
	return tab.screenshot(name, chromedp.CaptureScreenshot())
}

func (tab *Tab) screenshot(name string, shot chromedp.Action[[]byte]) string {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		tab.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenshotDir(tab.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatalf("screenshot %s: %v", name, err)
	}
	return path
}

// focused describes the element that has the keyboard focus: its name, or
// id, or tag.
func (tab *Tab) focused() string {
	return Eval[string](tab, `(() => { const e = document.activeElement;
		return e ? (e.name || e.id || e.tagName.toLowerCase()) : "" })()`)
}

// TabTo presses Tab until the element named want (its name or id) has the
// focus, at most limit times, and fails if it never does. It returns the
// names focused on the way.
func (tab *Tab) TabTo(want string, limit int) []string {
	tab.t.Helper()
	var seen []string
	for range limit {
		tab.Do(chromedp.KeyEvent(kb.Tab))
		f := tab.focused()
		seen = append(seen, f)
		if f == want {
			return seen
		}
	}
	tab.t.Fatalf("Tab never reached %q in %d presses; focus went through %v", want, limit, seen)
	return nil
}

// Clear empties the control that matches the CSS selector and gives it
// the focus.
func (tab *Tab) Clear(sel string) {
	tab.t.Helper()
	Eval[chromedp.Void](tab, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`);
		e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); e.focus(); })()`)
}

// Type types text into the focused element, key by key.
func (tab *Tab) Type(text string) {
	tab.t.Helper()
	tab.Do(chromedp.KeyEvent(text))
}
