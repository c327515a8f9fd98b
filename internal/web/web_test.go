package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/livc/livc-broker/broker"
)

// TestCatalogues: every message is in nl, fr and en, and every message a
// template or the error table names is in them.
func TestCatalogues(t *testing.T) {
	keys := map[string][]string{}
	for _, l := range Languages {
		var m map[string]string
		b, err := fs.ReadFile(localeFS, "locales/"+l+".toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", l, k)
			}
			keys[k] = append(keys[k], l)
		}
	}
	for k, langs := range keys {
		if len(langs) != len(Languages) {
			t.Errorf("%s is only in %v", k, langs)
		}
	}
	used := map[string]bool{"error.title": true}
	for _, f := range failures {
		used[f.Message] = true
	}
	re := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	entries, _ := fs.ReadDir(templateFS, "templates")
	for _, e := range entries {
		b, _ := fs.ReadFile(templateFS, "templates/"+e.Name())
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, n := range pageNames {
		used[n+".title"] = true
	}
	for k := range used {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s is used but in no catalogue", k)
		}
	}
}

// fakeBroker serves the demo cell; the use cases are not called here (the
// end-to-end tests drive them through the real broker).
type fakeBroker struct {
	Broker
	cell *broker.Cell
}

func (f fakeBroker) Cell(id string) (*broker.Cell, bool) { return f.cell, id == f.cell.ID }
func (f fakeBroker) CellIDs() []string                   { return []string{f.cell.ID} }
func (f fakeBroker) Refuse(context.Context, *broker.Request, string, error) error {
	return broker.Errorf(broker.KindUnauthenticated, "")
}

func newTestServer(t *testing.T, dev bool) (*Server, http.Handler) {
	t.Helper()
	cell := &broker.Cell{ID: "zonnedaal", Name: "LIVC-R Zonnedaal", Actors: map[string]broker.Actor{
		"ocmw":      {ID: "ocmw", Name: "OCMW", Type: broker.TypeSocioPreventive},
		"preventie": {ID: "preventie", Name: "Preventie", Type: broker.TypeLocalAdmin, Coordinator: true},
	}, Tables: map[string][]string{broker.TableOperational: {"ocmw", "preventie"}}}
	s, err := New(fakeBroker{cell: cell}, Conf{Store: NewMemoryStore(), Dev: dev, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	return s, s.Handler(api)
}

func TestRouting(t *testing.T) {
	_, h := newTestServer(t, false)
	cases := []struct {
		method, path string
		want         int
		web          bool
	}{
		{"GET", "/", 200, true},
		{"GET", "/static/app.css", 200, true},
		{"GET", "/static/embed.go", 404, true},
		{"GET", "/auth/dev", 404, true},
		{"GET", "/auth/login", 404, true}, // no provider configured
		{"GET", "/signals/mine", 303, true},
		{"POST", "/signals", 401, true},
		{"GET", "/lookup", 303, true},
		{"POST", "/lookup", 401, true},
		{"GET", "/cases/mine", 303, true},
		{"GET", "/stats", 303, true},
		{"GET", "/v1/keys", 418, false},
		{"GET", "/healthz", 418, false},
		{"GET", "/nowhere", 418, false},
		{"DELETE", "/signals/new", 404, true},
		{"POST", "/", 405, true},
		{"GET", "/signals/x/y/z", 404, true},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d", rec.Code, c.want)
			}
			if got := rec.Header().Get("Content-Security-Policy") != ""; got != c.web {
				t.Fatalf("security headers %v, want %v", got, c.web)
			}
		})
	}
}

// TestDevSignIn: the development sign-in lists the cell's actors under the
// [INSECURE] banner, and takes a form only with its pre-session token.
func TestDevSignIn(t *testing.T) {
	_, h := newTestServer(t, true)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/dev", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "[INSECURE]") || !strings.Contains(body, `value="zonnedaal/preventie"`) {
		t.Fatalf("the dev page: %d %s", rec.Code, body)
	}
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	pre := rec.Result().Cookies()[0]
	post := func(token string, cookie *http.Cookie) *httptest.ResponseRecorder {
		form := url.Values{"csrf": {token}, "who": {"zonnedaal/preventie"}}
		r := httptest.NewRequest("POST", "/auth/dev", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := post(tok, nil); rec.Code != http.StatusForbidden {
		t.Errorf("without the cookie: %d", rec.Code)
	}
	if rec := post("forged", pre); rec.Code != http.StatusForbidden {
		t.Errorf("with a forged token: %d", rec.Code)
	}
	rec = post(tok, pre)
	if rec.Code != 200 || !slices.ContainsFunc(rec.Result().Cookies(), func(c *http.Cookie) bool {
		return c.Name == cookieSession && c.HttpOnly && c.SameSite == http.SameSiteStrictMode
	}) {
		t.Fatalf("dev sign-in: %d %v", rec.Code, rec.Result().Cookies())
	}
}

func TestBelgianDates(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // 00:30 on 2 March in Brussels
	if got := tr.dateTime(at); got != "02/03/2026 00:30" {
		t.Fatalf("dateTime = %q", got)
	}
	if got := tr.date(at); got != "02/03/2026" {
		t.Fatalf("date = %q", got)
	}
}

// FuzzLocalPath: the language switcher's next parameter never leads off
// the site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/intake", "//evil.example", "/\\evil", "https://x", "/a?b=c", "", "/%2F%2Fx", "\t//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\x00\t\r\n") {
			t.Fatalf("localPath(%q) = %q leads off the site", next, got)
		}
		if got != next && got != "/" {
			t.Fatalf("localPath(%q) = %q: changed, not refused", next, got)
		}
	})
}

// TestSessionOfAGoneActor: a session whose actor the configuration no
// longer has is refused (401, audited by the pipeline) and ends.
func TestSessionOfAGoneActor(t *testing.T) {
	s, h := newTestServer(t, false)
	rec := httptest.NewRecorder()
	if err := s.startSession(t.Context(), rec, Session{Sub: "p", Livc: "zonnedaal", Actor: "gone"}); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	var codes []int
	for range 2 {
		r := httptest.NewRequest("GET", "/signals/mine", nil)
		r.AddCookie(cookie)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		codes = append(codes, rec.Code)
	}
	if codes[0] != http.StatusUnauthorized || codes[1] != http.StatusSeeOther {
		t.Fatalf("a gone actor's session answered %v, want 401 then 303 to the sign-in page", codes)
	}
}

// TestListFormNeedsAForm: the roster's and the minutes' forms read their
// list fields from the parsed form; a request with the CSRF token in the
// header and a body that is no form is refused (400) before any use case
// (the fake broker has none: calling one would panic).
func TestListFormNeedsAForm(t *testing.T) {
	_, h := newTestServer(t, true)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/dev", nil))
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]
	pre := rec.Result().Cookies()[0]
	form := url.Values{"csrf": {tok}, "who": {"zonnedaal/preventie"}}
	r := httptest.NewRequest("POST", "/auth/dev", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(pre)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var sess *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieSession {
			sess = c
		}
	}
	rec = httptest.NewRecorder()
	g := httptest.NewRequest("GET", "/", nil)
	g.AddCookie(sess)
	h.ServeHTTP(rec, g)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]
	for _, p := range []string{"/cases/k1/roster", "/cases/k1/meetings"} {
		t.Run(p, func(t *testing.T) {
			r := httptest.NewRequest("POST", p, strings.NewReader(`{"actors":[]}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(HeaderCSRF, csrf)
			r.AddCookie(sess)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusBadRequest {
				t.Errorf("a body that is no form: %d", rec.Code)
			}
		})
	}
}
