package web

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/livc/livc-broker/broker"
)

// staticFS holds the browser assets: the style sheet and the scripts built
// from web/ (`make assets`), committed.
//
//go:embed static
var staticFS embed.FS

// staticTypes are the files of static/ that are served, by extension, with
// their media type; anything else there (the Go file that embeds them for
// other packages) is not.
var staticTypes = map[string]string{
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".woff2": "font/woff2", ".svg": "image/svg+xml", ".png": "image/png",
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.home)
	m.HandleFunc("GET /static/{file}", s.static)
	m.HandleFunc("GET /lang/{lang}", s.setLang)
	m.HandleFunc("GET /auth/login", s.ifOIDC(s.login))
	m.HandleFunc("GET /auth/callback", s.ifOIDC(s.callback))
	m.HandleFunc("GET /auth/dev", s.ifDev(s.devPage))
	m.HandleFunc("POST /auth/dev", s.ifDev(s.devSignIn))
	m.HandleFunc("POST /auth/signout", s.signedIn("", s.signOut))
	sig := broker.PurposeSignal
	m.HandleFunc("GET /signals/new", s.signedIn(sig, s.newSignal))
	m.HandleFunc("POST /signals", s.scripted(sig, s.submitSignal))
	m.HandleFunc("GET /signals/mine", s.signedIn(sig, s.mySignals))
	m.HandleFunc("POST /signals/{id}/withdraw", s.signedIn(sig, s.withdraw))
	cc := broker.PurposeCaseConference
	m.HandleFunc("GET /intake", s.signedIn(cc, s.intake))
	m.HandleFunc("POST /intake/{id}/take", s.signedIn(cc, s.take))
	m.HandleFunc("POST /intake/{id}/dismiss", s.signedIn(cc, s.dismiss))
	views := []string{cc, broker.PurposePrioritisation}
	m.HandleFunc("GET /cases", s.choosing(views, s.cases))
	m.HandleFunc("GET /cases/{id}", s.choosing(views, s.dossier))
	m.HandleFunc("POST /cases/{id}/roster", s.signedIn(cc, s.roster))
	m.HandleFunc("POST /cases/{id}/transitions", s.signedIn(cc, s.transition))
	s.memberRoutes()
	s.verifyRoutes()
	s.insightRoutes()
	m.HandleFunc("POST /cases/{id}/meetings", s.signedIn(cc, s.recordMeeting))
	m.HandleFunc("POST /cases/{id}/review", s.signedIn(cc, s.review))
	m.HandleFunc("GET /retention", s.signedIn(cc, s.retention))
	s.privacyRoutes()
	for _, p := range slices.Compact(slices.Sorted(slices.Values(ownPrefixes))) {
		// Anything else under the application's paths: its own 404 page.
		m.HandleFunc("/"+p+"/", func(w http.ResponseWriter, r *http.Request) {
			s.plainError(w, r, http.StatusNotFound, "error.not_found")
		})
	}
}

func (s *Server) ifOIDC(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.oidc == nil {
			s.plainError(w, r, http.StatusNotFound, "error.not_found")
			return
		}
		h(w, r)
	}
}

// ifDev serves h only when the broker runs on development keys: with real
// keys the development sign-in does not exist (404, like any unknown page).
func (s *Server) ifDev(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.c.Dev {
			s.plainError(w, r, http.StatusNotFound, "error.not_found")
			return
		}
		h(w, r)
	}
}

// home is the signed-in person's start page, or the sign-in page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.session(r); !ok {
		v := &view{Lang: s.lang(r), Title: "signin.title", Path: "/",
			Data: map[string]bool{"OIDC": s.oidc != nil, "Dev": s.c.Dev}}
		s.render(w, http.StatusOK, "signin", v)
		return
	}
	s.signedIn("", func(x *reqCtx) {
		s.render(w, http.StatusOK, "home", x.view("home.title", nil))
	})(w, r)
}

func (s *Server) signOut(x *reqCtx) {
	if err := x.s.endSession(x.w, x.r); err != nil {
		x.s.c.Logger.Error("web session store", "err", err)
	}
	x.redirect("/")
}

// setLang is the language switcher: it keeps the choice in a cookie and
// goes back to the page it was chosen on (a path of this site only).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("lang")
	known := false
	for _, x := range Languages {
		known = known || x == l
	}
	if !known {
		s.plainError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	s.setCookie(w, cookieLang, l, 365*24*3600, http.SameSiteLaxMode)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath is next if it is a path of this site, else "/": never an
// address elsewhere (//host, a scheme, a backslash some browsers read as a
// slash, a control character).
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\x00\t\r\n") || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ct, ok := staticTypes[path.Ext(name)]
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if !ok || strings.HasPrefix(name, ".") || err != nil {
		s.plainError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b)
}
