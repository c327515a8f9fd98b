package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// auditFake is fakeBroker with the audit use cases the verification page
// calls, recording them; a request's Refuse is answered as the pipeline
// does.
type auditFake struct {
	fakeBroker
	calls *[]string
	entry []byte
}

func (f auditFake) AuditCheckpoint(_ context.Context, req *broker.Request, fresh bool) ([]byte, error) {
	*f.calls = append(*f.calls, "checkpoint fresh="+map[bool]string{true: "1", false: "0"}[fresh])
	return []byte("note\n"), req.Refuse
}

func (f auditFake) AuditExport(_ context.Context, req *broker.Request, from int64, limit int, size int64, proofs bool) (broker.Export, error) {
	*f.calls = append(*f.calls, "export")
	if req.Refuse != nil {
		return broker.Export{}, req.Refuse
	}
	if from != 5 || limit != broker.MaxLimit || size != 9 || proofs {
		return broker.Export{}, broker.Errorf(broker.KindInternal, "export %d %d %d %v", from, limit, size, proofs)
	}
	return broker.Export{Items: []broker.ExportedEntry{{Index: 5, Entry: f.entry, LeafHash: "ab", Proof: []string{"x"}}}}, nil
}

func (f auditFake) PublicKeys() broker.PublicKeys {
	return broker.PublicKeys{CheckpointKey: "livc-broker+01234567+AQ=="}
}

// signedInDev signs in at the development sign-in and answers the session
// cookie and the CSRF token.
func signedInDev(t *testing.T, h http.Handler) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/dev", nil))
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]
	form := url.Values{"csrf": {tok}, "who": {"zonnedaal/preventie"}}
	r := httptest.NewRequest("POST", "/auth/dev", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var sess *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieSession && c.Value != "" {
			sess = c
		}
	}
	if sess == nil {
		t.Fatal("no session")
	}
	g := httptest.NewRequest("GET", "/", nil)
	g.AddCookie(sess)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, g)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on the home page (%d)", rec.Code)
	}
	return sess, m[1]
}

// TestVerifyData: the page's data reach only its script (the CSRF header;
// without it 403 and no use case is called), a malformed query is the
// pipeline's refusal, and an entry goes out as its exact stored bytes
// (base64), without proofs, from the export use case with the page's bounds.
func TestVerifyData(t *testing.T) {
	var calls []string
	// Bytes a JSON re-encoding would change: an escape and invalid UTF-8.
	entry := []byte("{\"reason\":\"\\u003c \xff\",\"index\":5}")
	base, _ := newTestServer(t, true)
	s, err := New(auditFake{fakeBroker: base.b.(fakeBroker), calls: &calls, entry: entry},
		Conf{Store: NewMemoryStore(), Dev: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler(http.NotFoundHandler())
	sess, csrf := signedInDev(t, h)
	cases := []struct {
		name, path string
		header     bool
		status     int
		calls      string
	}{
		{"no CSRF header", "/privacy/verify/entries?from=5&size=9", false, http.StatusForbidden, ""},
		{"checkpoint, no CSRF header", "/privacy/verify/checkpoint", false, http.StatusForbidden, ""},
		{"entries", "/privacy/verify/entries?from=5&size=9", true, http.StatusOK, "export"},
		{"entries, a malformed from", "/privacy/verify/entries?from=x&size=9", true, http.StatusUnprocessableEntity, "export"},
		{"checkpoint, fresh", "/privacy/verify/checkpoint", true, http.StatusOK, "checkpoint fresh=1"},
		{"the page, not fresh", "/privacy/verify", false, http.StatusOK, "checkpoint fresh=0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls = nil
			r := httptest.NewRequest("GET", c.path, nil)
			r.AddCookie(sess)
			if c.header {
				r.Header.Set(HeaderCSRF, csrf)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != c.status || strings.Join(calls, ",") != c.calls {
				t.Fatalf("status %d, calls %v; want %d, %q: %s", rec.Code, calls, c.status, c.calls, rec.Body)
			}
			if c.name == "the page, not fresh" {
				body := strings.ReplaceAll(rec.Body.String(), "&#43;", "+") // html/template writes + so
				for _, want := range []string{`<code id="key-server">livc-broker+01234567+AQ==</code>`, `"broken_missing":"Het log is geschonden bij regel {index}`, `<script src="/static/verify.js" defer>`} {
					if !strings.Contains(body, want) {
						t.Errorf("the page does not hold %s", want)
					}
				}
			}
			if c.name != "entries" {
				return
			}
			var got struct {
				Items []map[string]any `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Items) != 1 {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			it := got.Items[0]
			raw, _ := base64.StdEncoding.DecodeString(it["entry"].(string))
			if string(raw) != string(entry) || it["index"] != 5.0 || it["leaf_hash"] != "ab" || it["proof"] != nil {
				t.Errorf("the item %v is not the stored entry, its index and leaf hash alone", it)
			}
		})
	}
}
