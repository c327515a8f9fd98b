package browser

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// checkDocumentHeaders checks every page of the broker the tab loaded:
// a Content-Security-Policy with no unsafe-inline or unsafe-eval and
// frame-ancestors 'none', and Cache-Control no-store.
func checkDocumentHeaders(t *testing.T, tab *Tab, base string) {
	t.Helper()
	n := 0
	for _, r := range tab.AllRequests() {
		if r.Type != "Document" || !strings.HasPrefix(r.URL, base) || r.Status == 0 || r.Status/100 == 3 {
			continue
		}
		n++
		csp, cc := header(r.Response, "Content-Security-Policy"), header(r.Response, "Cache-Control")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", r.URL, csp)
		}
		if !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q, want no-store", r.URL, cc)
		}
	}
	if n == 0 {
		t.Error("no page of the broker was recorded")
	}
}

func header(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

var attackerPage = template.Must(template.New("a").Parse(`<!doctype html><html lang="en"><head><title>A page elsewhere</title></head>
<body><main><h1>Win a prize</h1><form method="post" action="{{.}}"><button type="submit" id="go">Claim</button></form></main></body></html>`))

// TestStateChangesNeedTheCSRFToken: signed in, a POST of the page's own
// origin without the CSRF token, or with a wrong one, is refused (403) and
// stores nothing; a form on another site that posts to the broker's
// withdrawal, clicked by the signed-in person, withdraws nothing.
func TestStateChangesNeedTheCSRFToken(t *testing.T) {
	env := startWebEnv(t)
	tab := newTab(t)
	tab.SetLanguage("nl-BE")
	env.SignIn(tab, socialWorker)
	env.Visit(tab, "/signals/new")
	tab.Do(chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	for name, hdr := range map[string]string{"no token": `{}`, "a wrong token": `{"X-CSRF-Token": "not-the-token"}`} {
		status := Eval[int](tab, `(async () => {
			const h = Object.assign({"Content-Type": "application/age"}, `+hdr+`);
			const r = await fetch("/signals", {method: "POST", headers: h, body: "age-encryption.org/v1\n"});
			return r.status })()`)
		if status != http.StatusForbidden {
			t.Errorf("POST /signals with %s: %d, want 403", name, status)
		}
	}
	// A real signal, so that there is something to withdraw.
	fillSignal(tab)
	tab.Do(chromedp.Click(chromedp.CSS(`#signal-form button[type=submit]`)))
	tab.WaitFor("my signals", 15*time.Second, func() error {
		if tab.Path() != "/signals/mine" {
			return errNotDone
		}
		return nil
	})
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`tr[id^=signal-]`)))
	ids := Eval[[]string](tab, `[...document.querySelectorAll("tr[id^=signal-]")].map(r => r.id.slice(7))`)
	if len(ids) != 1 {
		t.Fatalf("my signals lists %v: the refused POSTs stored something, or the real one is missing", ids)
	}
	id := ids[0]
	checkDocumentHeaders(t, tab, env.Broker.URL)

	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = attackerPage.Execute(w, env.Broker.URL+"/signals/"+id+"/withdraw")
	}))
	defer elsewhere.Close()
	// localhost is another site than 127.0.0.1 for the browser's cookies.
	other := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
	tab.Do(chromedp.Navigate(other), chromedp.Click(chromedp.CSS("#go")))
	var sent []*Request
	tab.WaitFor("the other site's POST", 10*time.Second, func() error {
		if sent = tab.Requests("POST", "/signals/"+id+"/withdraw"); len(sent) == 0 || sent[0].Status == 0 {
			return errNotDone
		}
		return nil
	})
	if st := sent[0].Status; st != http.StatusUnauthorized && st != http.StatusForbidden {
		t.Errorf("the other site's POST to the withdrawal: %d, want 401 or 403", st)
	}
	env.Visit(tab, "/signals/mine")
	if cls := Eval[string](tab, `(document.querySelector("#signal-`+id+` .state")||{}).className||""`); !strings.Contains(cls, "state-received") {
		t.Errorf("after the other site's form, the signal is %q, want still received", cls)
	}
}
