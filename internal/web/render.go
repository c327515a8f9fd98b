package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/livc/livc-broker/broker"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages; each is templates/NAME.html over layout.html.
var pageNames = []string{"home", "signin", "dev", "signedin", "error", "signal_new",
	"signals_mine", "intake", "cases", "case", "retention"}

// pageParts are, by page, the files of shared sub-templates it uses
// besides the layout.
var pageParts = map[string][]string{"signal_new": {"field"}, "lookup": {"field"}}

// funcs are the templates' helpers beyond the view's methods.
var funcs = template.FuncMap{
	// pair passes the view and one item to a sub-template.
	"pair": func(v *view, f formField) []any { return []any{v, f} },
	// inc is i+1: a row's number as people count.
	"inc": func(i int) int { return i + 1 },
	// deref is a catalogue limit's value.
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
}

type pages struct{ t map[string]*template.Template }

func parsePages() (*pages, error) {
	p := &pages{t: map[string]*template.Template{}}
	for _, n := range pageNames {
		files := []string{"templates/layout.html", "templates/" + n + ".html"}
		for _, part := range pageParts[n] {
			files = append(files, "templates/"+part+".html")
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		p.t[n] = t
	}
	return p, nil
}

// view is what every page is rendered from: the person, the purpose the
// page works under (shown in its header), the CSRF token for its forms,
// and the page's own Data.
type view struct {
	Lang  string
	Title string // message id of the page's title
	Path  string // the page's path, for the language switcher
	// Query is the page's query (?purpose=, ?days=), which the language
	// switcher keeps.
	Query string
	// Signed is set for a signed-in person, with who they are.
	Signed   bool
	Sub      string
	Actor    broker.Actor
	CellName string
	// Coordinator and Operational say which links the home page and the
	// navigation show; the pipeline decides what each may do.
	Coordinator bool
	Operational bool
	Strategic   bool // sits at the strategic table: the aggregates
	Purpose     string
	// Purposes are the purposes the header offers to choose among, when
	// more than one applies.
	Purposes []string
	CSRF     string
	// DevBanner shows the [INSECURE] banner: a development sign-in.
	DevBanner bool
	Data      any
	tr        *translator
}

// T is the message id in the page's language (name, value pairs fill it).
func (v *view) T(id string, kv ...any) string { return v.tr.text(v.Lang, id, kv...) }

// Date is t as dd/mm/yyyy; DateTime as dd/mm/yyyy HH:MM (Brussels).
func (v *view) Date(t time.Time) string     { return v.tr.date(t) }
func (v *view) DateTime(t time.Time) string { return v.tr.dateTime(t) }

// DateText is a calendar date written YYYY-MM-DD (a decision's due date) as
// dd/mm/yyyy; anything else as it is.
func (v *view) DateText(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

// Languages are the switcher's links, each back to this page.
func (v *view) Languages() []langLink {
	names := map[string]string{"nl": "Nederlands", "fr": "Français", "en": "English"}
	out := make([]langLink, 0, len(Languages))
	for _, l := range Languages {
		out = append(out, langLink{Code: l, Name: names[l], Current: l == v.Lang,
			Href: "/lang/" + l + "?next=" + url.QueryEscape(v.here())})
	}
	return out
}

// here is the page's path with its query.
func (v *view) here() string {
	if v.Query == "" {
		return v.Path
	}
	return v.Path + "?" + v.Query
}

// render writes page name with status; a template error is a 500 with
// nothing of the page written.
func (s *Server) render(w http.ResponseWriter, status int, name string, v *view) {
	v.tr = s.tr
	var buf bytes.Buffer
	if err := s.pages.t[name].Execute(&buf, v); err != nil {
		s.c.Logger.Error("web template", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Label is the catalogue's text for name under prefix ("field.", "state.",
// …), or name itself for one the catalogue does not know (a field of a
// cell's own catalogue, say).
func (v *view) Label(prefix, name string) string {
	if t := v.tr.text(v.Lang, prefix+name); t != prefix+name {
		return t
	}
	return name
}
