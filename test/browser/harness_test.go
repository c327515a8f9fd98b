package browser

import (
	"context"
	_ "embed"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium unless LIVC_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("LIVC_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
	stopBrowser = func() {}
)

// TestMain stops the shared browser after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// sharedBrowser returns the context of one headless Chromium shared by the
// package's tests, started on first use with a fresh profile. Without
// Chromium the test fails, or is skipped by name under LIVC_NO_BROWSER=1.
func sharedBrowser(t testing.TB) context.Context {
	t.Helper()
	if os.Getenv("LIVC_NO_BROWSER") == "1" {
		t.Skip("LIVC_NO_BROWSER=1: browser test skipped")
	}
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Chromium not found at %s (%v): install Debian's chromium (apt-get install -y chromium, as .ci/run does), point LIVC_CHROMIUM at a Chromium, or set LIVC_NO_BROWSER=1 to skip the browser tests", path, err)
	}
	browserOnce.Do(func() { browserCtx, browserErr = startBrowser(path) })
	if browserErr != nil {
		t.Fatalf("starting Chromium at %s: %v", path, browserErr)
	}
	return browserCtx
}

func startBrowser(path string) (context.Context, error) {
	dir, err := os.MkdirTemp("", "livc-chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "nl-BE"),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	stopBrowser = func() {
		cancelBrowser()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		stopBrowser()
		return nil, err
	}
	return bctx, nil
}

// Tab is one tab in a browser context of its own (its own cookies), with
// the requests it sends recorded through the network domain.
type Tab struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	requests []*Request
	byID     map[network.RequestID]*Request
}

// Request is one request the page sent, as the browser reports it.
type Request struct {
	ID      network.RequestID
	Method  string
	URL     string
	Type    network.ResourceType
	Headers map[string]any
	Body    []byte  // the complete body of a POST, fetched from the browser
	Bytes   float64 // encoded bytes received for it, once it finished
	Done    bool

	Status   int64          // the answer's status, once it came
	Response map[string]any // the answer's headers
}

// newTab opens a tab with a fresh browser context and records its requests.
func newTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tab := &Tab{t: t, ctx: ctx, byID: map[network.RequestID]*Request{}}
	if err := chromedp.Listen(ctx, tab.onEvent); err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	// Every document records the Content-Security-Policy violations it
	// sees, for CheckPage; the script is the browser's, not the page's.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder}); err != nil {
		t.Fatalf("recording CSP violations: %v", err)
	}
	maxPost := int64(1 << 20)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{MaxPostDataSize: &maxPost}); err != nil {
		t.Fatalf("enabling the network domain: %v", err)
	}
	return tab
}

// SetLanguage makes the tab a browser of a person in Belgium who reads
// lang ("nl-BE", "fr-BE", "en-BE"): its Accept-Language, its locale (date
// and time controls, Intl) and the Brussels time zone.
func (tab *Tab) SetLanguage(lang string) {
	tab.t.Helper()
	ua := Eval[string](tab, "navigator.userAgent")
	short, _, _ := strings.Cut(lang, "-")
	calls := []error{
		call(tab, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang + "," + short + ";q=0.9"}),
		call(tab, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(lang, "-", "_")}),
		call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Brussels"}),
	}
	if err := errors.Join(calls...); err != nil {
		tab.t.Fatalf("language %s: %v", lang, err)
	}
}

func call[P, R any](tab *Tab, cmd cdp.Command[P, R], params P) error {
	_, err := chromedp.Call(tab.ctx, cmd, params)
	return err
}

// onEvent runs in the tab's read loop: it only records.
func (tab *Tab) onEvent(ev any) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		r := &Request{ID: e.RequestID, Method: e.Request.Method, URL: e.Request.URL, Type: e.Type, Headers: e.Request.Headers}
		for _, p := range e.Request.PostDataEntries {
			r.Body = append(r.Body, p.Bytes...)
		}
		tab.requests = append(tab.requests, r)
		tab.byID[e.RequestID] = r
	case *network.EventResponseReceived:
		if r := tab.byID[e.RequestID]; r != nil && e.Response != nil {
			r.Status, r.Response = e.Response.Status, e.Response.Headers
		}
	case *network.EventLoadingFinished:
		if r := tab.byID[e.RequestID]; r != nil {
			r.Bytes, r.Done = e.EncodedDataLength, true
		}
	}
}

// Do runs the actions, failing the test on the first error, within 30 s.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.t.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression (awaiting a promise) into T.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	v, err := TryEval[T](tab, expr)
	if err != nil {
		tab.t.Fatalf("evaluating %.60q: %v", expr, err)
	}
	return v
}

// TryEval is Eval for a page that may be navigating: it returns the
// error (the document gone meanwhile) instead of failing the test, for
// the conditions that WaitFor polls.
func TryEval[T any](tab *Tab, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(tab.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Requests returns the recorded requests that match method and whose URL
// path ends in suffix, with the complete body of each POST.
func (tab *Tab) Requests(method, suffix string) []*Request {
	tab.t.Helper()
	tab.mu.Lock()
	var out []*Request
	for _, r := range tab.requests {
		if r.Method == method && strings.HasSuffix(strings.SplitN(r.URL, "?", 2)[0], suffix) {
			out = append(out, r)
		}
	}
	tab.mu.Unlock()
	for _, r := range out {
		if r.Method != "POST" {
			continue
		}
		res, err := chromedp.Call(tab.ctx, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: r.ID})
		tab.mu.Lock()
		if err == nil && len(res.PostData) >= len(r.Body) {
			r.Body = res.PostData
		}
		tab.mu.Unlock()
	}
	return out
}

// ResetRequests forgets what was recorded so far.
func (tab *Tab) ResetRequests() {
	tab.mu.Lock()
	tab.requests, tab.byID = nil, map[network.RequestID]*Request{}
	tab.mu.Unlock()
}

// AllRequests returns a copy of every recorded request.
func (tab *Tab) AllRequests() []Request {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	out := make([]Request, len(tab.requests))
	for i, r := range tab.requests {
		out[i] = *r
	}
	return out
}

// errNotDone is returned while a wait's condition does not hold.
var errNotDone = errors.New("not yet")

// WaitFor polls cond every 50 ms for up to d, failing the test after.
func (tab *Tab) WaitFor(what string, d time.Duration, cond func() error) {
	tab.t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tab.t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
