package browser

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// verifyTestPage loads the verifier's test bundle and its unit tests under
// a Content-Security-Policy as strict as the broker's.
const verifyTestPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>audit verifier tests</title>
<script src="/testdata/auditverify.js"></script><script src="/testdata/auditverify_test.js"></script></head>
<body><main><h1>audit verifier tests</h1></main></body></html>`

// TestAuditVerifierInBrowser runs the JavaScript unit tests of the audit
// verifier (testdata/auditverify_test.js) in Chromium against the vectors
// Go made (TestVerifyVectors): signed notes, a bad signature, a wrong key,
// consistency proofs valid and altered, a fork that does not extend the
// log, and whole logs with an entry deleted, moved or edited. Each JS case
// is a subtest.
func TestAuditVerifierInBrowser(t *testing.T) {
	vectors, err := os.ReadFile(vectorsFile)
	must(t, err)
	if !json.Valid(vectors) {
		t.Fatal("the vectors are not JSON")
	}
	srv := verifierServer(t)
	tab := newTab(t)
	tab.Do(chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS(`main h1`)))
	type result struct{ Name, Error string }
	results := Eval[[]result](tab, "runAuditVerifyTests("+string(vectors)+")")
	if len(results) < 40 {
		t.Errorf("only %d cases ran", len(results))
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			if r.Error != "" {
				t.Error(r.Error)
			}
		})
	}
	if vs := Eval[[]string](tab, "window.__livcCSP || []"); len(vs) > 0 {
		t.Errorf("Content-Security-Policy violations: %v", vs)
	}
}

// verifierServer serves the verifier's test page and bundles under the
// broker's Content-Security-Policy, until the test ends.
func verifierServer(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", fixtureCSP)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(verifyTestPage))
		case "/testdata/auditverify.js", "/testdata/auditverify_test.js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			http.ServeFile(w, r, "."+r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
