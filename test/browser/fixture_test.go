package browser

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/livc/livc-broker/internal/web/static"
)

// fixtureCSP is as strict as the broker's pages: the bundle must run under
// it (no inline script, no eval).
const fixtureCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

const fixtureCSRF = "csrf-token-of-the-fixture"

// fixturePage is a stand-in for the broker's new-signal page with the
// contract's form: the real bundle is tested here against a recipient the
// test holds the identity of.
var fixturePage = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Nieuw signaal</title>
<script src="/static/signal.js" defer></script></head>
<body><main><h1>Nieuw signaal</h1>
<form id="signal-form" data-recipient="{{.Recipient}}" data-endpoint="/signals" data-csrf="{{.CSRF}}"
      data-msg-failed="Niet verzonden." data-msg-refused="Geweigerd.">
<p><label for="nn">Rijksregisternummer</label>
<input id="nn" name="subject.national_number" data-type="national_number" data-class="identity"
       inputmode="numeric" autocomplete="off" data-msg-invalid="Geen geldig rijksregisternummer."></p>
<p><label for="family">Familienaam</label>
<input id="family" name="subject.family_name" data-type="string" data-class="identity" maxlength="100"></p>
<p><label for="observed">Vastgesteld op</label>
<input id="observed" name="observed_at" type="datetime-local" data-type="datetime" value="2026-11-20T10:30" required></p>
<p><label for="presence">Aanwezigheid</label>
<select id="presence" name="fields.presence" data-type="enum" data-class="presence">
<option value="">—</option><option value="present">aanwezig</option><option value="absent">afwezig</option><option value="unknown">onbekend</option>
</select></p>
<p><label for="text">Signaal</label>
<textarea id="text" name="fields.signal_text" data-type="string" data-class="signal" maxlength="4000"></textarea></p>
<p><label for="days">Dagen afwezig op school</label>
<input id="days" name="fields.school_absence_days" type="number" min="0" max="366" data-type="integer" data-class="social"></p>
<p><label for="ind">Indicatoren (één per regel)</label>
<textarea id="ind" name="fields.indicators" data-type="list" data-class="signal"></textarea></p>
<p><button type="submit" disabled>Versleutelen en verzenden</button></p>
</form></main></body></html>`))

// fixture serves the stand-in page, the embedded bundle, and records what
// reaches POST /signals.
type fixture struct {
	*httptest.Server
	recipient string

	mu    sync.Mutex
	posts []fixturePost
	next  string // the answer's next; "/done" unless set
}

type fixturePost struct {
	ContentType, CSRF string
	Body              []byte
}

func newFixture(t testing.TB, recipient string) *fixture {
	f := &fixture{recipient: recipient, next: "/done"}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static.FS)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = fixturePage.Execute(w, map[string]string{"Recipient": f.recipient, "CSRF": fixtureCSRF})
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html lang="nl"><head><title>Verzonden</title></head><body><main><h1>Verzonden</h1></main></body></html>`)
	})
	mux.HandleFunc("POST /signals", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.posts = append(f.posts, fixturePost{r.Header.Get("Content-Type"), r.Header.Get("X-CSRF-Token"), body})
		next := f.next
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "sig-1", "next": next})
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", fixtureCSP)
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fixture) Posts() []fixturePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fixturePost(nil), f.posts...)
}
