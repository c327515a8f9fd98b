package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The web application (internal/web, docs/web.md): signing in through a
// real OpenID provider, the session cookie, the security headers, CSRF,
// idle expiry, sign-out, i18n, and the refusals of sign-in.

var securityHeaders = map[string]string{
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
}

// checkSecurityHeaders holds an answer of the web application to the
// headers of docs/web.md.
func checkSecurityHeaders(t *testing.T, p page) {
	t.Helper()
	for h, want := range securityHeaders {
		if got := p.Header.Get(h); got != want {
			t.Errorf("%s (%d): %s = %q, want %q", p.URL, p.Status, h, got, want)
		}
	}
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s (%d): the CSP %q lacks %q", p.URL, p.Status, csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("%s (%d): the CSP %q allows %q", p.URL, p.Status, csp, bad)
		}
	}
}

func TestWebSignIn(t *testing.T) {
	w := startWebCell(t)
	br := newBrowser(t, w.b.URL)
	home := br.signIn("ocmw")
	t.Run("signed in through the provider", func(t *testing.T) {
		if home.Status != 200 || !strings.Contains(home.Body, `http-equiv="refresh"`) {
			t.Fatalf("the callback answered %d: %s", home.Status, home.Body)
		}
		p := br.get("/")
		if !strings.Contains(p.Body, "OCMW Zonnedaal, sociale dienst") || !strings.Contains(p.Body, "person-ocmw") {
			t.Fatalf("the home page does not name the signed-in person: %s", p.Body)
		}
	})
	t.Run("session cookie", func(t *testing.T) {
		var set string
		for _, c := range br.signed.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "livc-session=") {
				set = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("the session cookie %q lacks %s", set, want)
			}
		}
		if strings.Contains(set, "Secure") || strings.Contains(set, "Domain=") {
			t.Errorf("the session cookie over plain HTTP: %q", set)
		}
	})
	t.Run("the store holds the id's hash, never the id", func(t *testing.T) {
		id := br.sessionCookie()
		h := sha256.Sum256([]byte(id))
		keys, err := w.redis.client(t).Keys(context.Background(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, k := range keys {
			if strings.Contains(k, id) {
				t.Errorf("a Redis key holds the session id: %s", k)
			}
			found = found || k == "livc:web:session:"+hex.EncodeToString(h[:])
		}
		if !found {
			t.Errorf("no session record under the id's hash among %d keys", len(keys))
		}
	})
	t.Run("the pages act as the person, audited with their sub", func(t *testing.T) {
		p := br.get("/signals/mine")
		if p.Status != 200 {
			t.Fatalf("/signals/mine: %d %s", p.Status, p.Body)
		}
		var page struct {
			Items []struct{ Sub, Action, Actor string }
		}
		tok := w.iss.token(t, "zonnedaal", "dpo")
		do(t, "GET", w.b.URL+"/v1/audit?action=signal.mine&order=desc", nil, "Authorization", "Bearer "+tok,
			"LIVC-Purpose", "audit_review").json(t, &page)
		if len(page.Items) == 0 || page.Items[0].Sub != "person-ocmw" || page.Items[0].Actor != "ocmw" {
			t.Fatalf("the audit entry of the page's request: %+v", page.Items)
		}
	})
}

func TestWebSignInRefused(t *testing.T) {
	w := startWebCell(t)
	for _, user := range []string{"stranger", "elsewhere"} {
		t.Run(user, func(t *testing.T) {
			br := newBrowser(t, w.b.URL)
			p := br.signIn(user)
			if p.Status != http.StatusForbidden || br.sessionCookie() != "" {
				t.Fatalf("a sign-in naming no actor of a served cell: %d, cookie %q", p.Status, br.sessionCookie())
			}
			if p := br.get("/signals/mine"); p.Status != 200 || !strings.Contains(p.Body, `href="/auth/login"`) {
				t.Fatalf("after a refused sign-in the pages are open: %d", p.Status)
			}
		})
	}
	t.Run("the refusal is audited as a refused login", func(t *testing.T) {
		var page struct {
			Items []struct{ Sub, Action string }
		}
		tok := w.iss.token(t, "zonnedaal", "dpo")
		do(t, "GET", w.b.URL+"/v1/audit?action=auth.fail", nil, "Authorization", "Bearer "+tok,
			"LIVC-Purpose", "audit_review").json(t, &page)
		if len(page.Items) != 1 || page.Items[0].Sub != "person-stranger" {
			t.Fatalf("the cell's log of refused logins: %+v", page.Items)
		}
	})
}

func TestWebSecurityHeaders(t *testing.T) {
	w := startWebCell(t)
	br := newBrowser(t, w.b.URL)
	anon := []string{"/", "/auth/dev", "/static/app.css", "/signals/new", "/lang/fr?next=/"}
	for _, path := range anon {
		br.get(path)
		for _, p := range br.hops {
			checkSecurityHeaders(t, p)
		}
	}
	br.signIn("preventie")
	for _, h := range br.hops {
		if strings.HasPrefix(h.URL, w.b.URL) {
			checkSecurityHeaders(t, h)
		}
	}
	for _, path := range []string{"/", "/signals/new", "/signals/mine", "/intake", "/cases", "/cases/case_nope",
		"/retention", "/retention?days=x", "/cases?purpose=prioritisation", "/cases?purpose=signal"} {
		checkSecurityHeaders(t, br.get(path))
	}
	checkSecurityHeaders(t, br.post("/intake/sig_x/dismiss", "", nil))
	checkSecurityHeaders(t, br.post("/cases/case_nope/meetings", br.csrf("/"), nil))
	checkSecurityHeaders(t, br.post("/cases/case_nope/review", "", nil))
	checkSecurityHeaders(t, br.send("DELETE", br.url("/signals/new"), nil))
	checkSecurityHeaders(t, br.get("/static/none.js"))
	if p := br.get("/auth/dev"); p.Status != http.StatusNotFound {
		t.Errorf("the development sign-in with real keys: %d, want 404", p.Status)
	}
	if p := br.post("/auth/dev", "", url.Values{"who": {"zonnedaal/preventie"}}); p.Status != http.StatusNotFound {
		t.Errorf("a development sign-in posted with real keys: %d, want 404", p.Status)
	}
}

// TestWebCSRF: a state-changing request without the session's token, or
// with another, is 403 and changes nothing.
func TestWebCSRF(t *testing.T) {
	w := startWebCell(t)
	ocmw := w.submit(t, "ocmw", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)
	br := newBrowser(t, w.b.URL)
	br.signIn("ocmw")
	other := newBrowser(t, w.b.URL)
	other.signIn("ocmw")
	foreign := other.csrf("/signals/mine")
	for name, tok := range map[string]string{"none": "", "another session's": foreign, "garbage": "x"} {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/signals/" + ocmw + "/withdraw", "/auth/signout"} {
				if p := br.post(path, tok, nil); p.Status != http.StatusForbidden {
					t.Errorf("POST %s with %s token: %d, want 403", path, name, p.Status)
				}
			}
			p := br.send("POST", br.url("/signals"), bytes.NewReader(seal(t, w.recip, []byte("{}"))),
				"Content-Type", "application/age", "X-CSRF-Token", tok)
			if p.Status != http.StatusForbidden {
				t.Errorf("POST /signals with %s token: %d, want 403", name, p.Status)
			}
		})
	}
	if got := w.mineStates(t, "ocmw"); len(got) != 1 || got[ocmw] != "received" {
		t.Fatalf("after refused requests the signals are %v, want only %s received", got, ocmw)
	}
	if p := br.get("/signals/mine"); !strings.Contains(p.Body, ocmw) {
		t.Fatalf("a refused sign-out signed out: %s", p.Body)
	}
	tok := br.csrf("/signals/mine")
	if p := br.post("/signals/"+ocmw+"/withdraw", tok, nil); p.Status != 200 || !strings.Contains(p.Body, "state-withdrawn") {
		t.Fatalf("withdraw with the token: %d %s", p.Status, p.Body)
	}
}

// submit sends a signal by the API as actor and returns its id.
func (w *webCell) submit(t *testing.T, actor, signal string) string {
	t.Helper()
	r := do(t, "POST", w.b.URL+"/v1/signals", seal(t, w.recip, []byte(signal)), "Authorization",
		"Bearer "+w.iss.token(t, "zonnedaal", actor), "LIVC-Purpose", "signal", "Content-Type", "application/age")
	if r.Status != 201 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	return jsonField(t, r.Body, "id")
}

// mineStates reads actor's signals by the API: id -> state.
func (w *webCell) mineStates(t *testing.T, actor string) map[string]string {
	t.Helper()
	var page struct{ Items []struct{ ID, State string } }
	do(t, "GET", w.b.URL+"/v1/signals/mine", nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", actor),
		"LIVC-Purpose", "signal").json(t, &page)
	out := map[string]string{}
	for _, it := range page.Items {
		out[it.ID] = it.State
	}
	return out
}

func TestWebSessionEnds(t *testing.T) {
	w := startWebCell(t, "--web-idle-timeout", "2s")
	t.Run("sign-out", func(t *testing.T) {
		br := newBrowser(t, w.b.URL)
		br.signIn("ocmw")
		old := br.sessionCookie()
		if p := br.post("/auth/signout", br.csrf("/"), nil); p.Status != 200 || !strings.Contains(p.Body, `href="/auth/login"`) {
			t.Fatalf("sign-out: %d %s", p.Status, p.Body)
		}
		if br.sessionCookie() != "" {
			t.Errorf("the session cookie stays after sign-out")
		}
		replay := newBrowser(t, w.b.URL)
		u, _ := url.Parse(w.b.URL)
		replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "livc-session", Value: old}})
		if p := replay.send("GET", replay.url("/signals/mine"), nil); p.Status != 200 || !strings.Contains(p.Body, `href="/auth/login"`) {
			t.Fatalf("the signed-out session's cookie still opens the pages: %d", p.Status)
		}
	})
	t.Run("idle", func(t *testing.T) {
		br := newBrowser(t, w.b.URL)
		br.signIn("ocmw")
		if p := br.get("/signals/mine"); !strings.Contains(p.Body, `id="main"`) || strings.Contains(p.Body, `href="/auth/login"`) {
			t.Fatalf("not signed in: %s", p.Body)
		}
		time.Sleep(2500 * time.Millisecond)
		if p := br.get("/signals/mine"); !strings.Contains(p.Body, `href="/auth/login"`) {
			t.Fatalf("a session idle past --web-idle-timeout still opens the pages: %d", p.Status)
		}
	})
}

func TestWebLanguages(t *testing.T) {
	w := startWebCell(t)
	cases := []struct{ accept, cookie, lang, title string }{
		{"", "", "nl", "Aanmelden"},
		{"fr-BE,fr;q=0.9", "", "fr", "Connexion"},
		{"en-GB", "", "en", "Sign in"},
		{"de-DE", "", "nl", "Aanmelden"},
		{"fr-BE", "en", "en", "Sign in"},
	}
	for _, c := range cases {
		t.Run(c.accept+"/"+c.cookie, func(t *testing.T) {
			br := newBrowser(t, w.b.URL)
			br.lang = c.accept
			if c.cookie != "" {
				if p := br.get("/lang/" + c.cookie + "?next=/"); p.Status != 200 {
					t.Fatalf("switcher: %d", p.Status)
				}
			}
			p := br.get("/")
			if !strings.Contains(p.Body, `<html lang="`+c.lang+`">`) || !strings.Contains(p.Body, "<h1>"+c.title+"</h1>") {
				t.Fatalf("want %s (%s): %s", c.lang, c.title, p.Body)
			}
		})
	}
	t.Run("the switcher goes back on this site only", func(t *testing.T) {
		br := newBrowser(t, w.b.URL)
		br.get("/lang/fr?next=//evil.example/x")
		if got := br.hops[0].Header.Get("Location"); got != "/" {
			t.Fatalf("switcher redirected to %q", got)
		}
	})
}

// answerJSON decodes a page's JSON body.
func answerJSON(t *testing.T, p page, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(p.Body), v); err != nil {
		t.Fatalf("%s (%d) is not JSON: %s", p.URL, p.Status, p.Body)
	}
}
