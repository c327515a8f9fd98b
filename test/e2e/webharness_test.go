package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/livc/livc-broker/test/oidcprovider"
)

// webCell is a broker with its web application, signing in through a real
// OpenID provider (test/oidcprovider) started by the test, on real Redis.
type webCell struct {
	b     *brokerProc
	redis *redisServer
	iss   *issuerKey
	idp   *oidcprovider.Provider
	recip string // the broker's first recipient, for signals sent by the API
}

const (
	webClientID     = "livc-broker-web"
	webClientSecret = "test-client-secret"
)

// startWebCell starts the provider, then the broker pointed at it (extra
// flags appended), with users for ocmw, preventie, dpo, and "stranger", whose
// actor claim names no actor of the cell.
func startWebCell(t *testing.T, extra ...string) *webCell {
	t.Helper()
	idp, err := oidcprovider.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Close() })
	for _, actor := range []string{"ocmw", "preventie", "dpo", "pz"} {
		idp.AddUser(oidcprovider.User{Login: actor, Subject: "person-" + actor,
			Claims: map[string]any{"livc": "zonnedaal", "actor": actor}})
	}
	idp.AddUser(oidcprovider.User{Login: "stranger", Subject: "person-stranger",
		Claims: map[string]any{"livc": "zonnedaal", "actor": "nobody"}})
	idp.AddUser(oidcprovider.User{Login: "elsewhere", Subject: "person-elsewhere",
		Claims: map[string]any{"livc": "othercell", "actor": "ocmw"}})
	port := freePort(t)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/auth/callback", port)
	idp.AddClient(webClientID, webClientSecret, redirect)
	r := startRedis(t)
	iss := newIssuer(t)
	args := append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--oidc-issuer", idp.Issuer, "--oidc-client-id", webClientID, "--oidc-redirect-url", redirect}, extra...)
	t.Setenv("LIVC_OIDC_CLIENT_SECRET", webClientSecret)
	b := startBroker(t, r.Addr, iss, args...)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	return &webCell{b: b, redis: r, iss: iss, idp: idp, recip: keys.Recipients[0]}
}

// browser is a person's browser: a cookie jar, redirects followed by hand
// so that every answer on the way is seen.
type browser struct {
	t      *testing.T
	c      *http.Client
	base   string
	lang   string
	hops   []page // every answer of the last get or post, redirects included
	signed page   // the answer that set the session cookie
}

// page is one answer as a browser saw it.
type page struct {
	URL    string
	Status int
	Header http.Header
	Body   string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, c: c, base: base}
}

// send makes one request and follows redirects (GET), returning the last
// answer; every answer on the way is in b.hops.
func (b *browser) send(method, u string, body io.Reader, headers ...string) page {
	b.t.Helper()
	b.hops = nil
	for range 10 {
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			b.t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		if b.lang != "" {
			req.Header.Set("Accept-Language", b.lang)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p := page{URL: u, Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
		b.hops = append(b.hops, p)
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return p
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		u, method, body, headers = next.String(), "GET", nil, nil
	}
	b.t.Fatalf("too many redirects from %s", u)
	return page{}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.send("GET", b.url(path), nil) }

// post sends a form; csrf "" sends none.
func (b *browser) post(path, csrf string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	return b.send("POST", b.url(path), strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

var (
	reLoginID = regexp.MustCompile(`name="id" value="([^"]+)"`)
	reCSRF    = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// signIn goes through the provider as user: the broker's /auth/login, the
// provider's login form, back to the broker's callback. It returns the
// callback's answer.
func (b *browser) signIn(user string) page {
	b.t.Helper()
	login := b.get("/auth/login")
	m := reLoginID.FindStringSubmatch(login.Body)
	if login.Status != 200 || m == nil {
		b.t.Fatalf("the provider's login form did not show: %d %s", login.Status, login.Body)
	}
	form := url.Values{"id": {m[1]}, "username": {user}}
	p := b.send("POST", b.hops[len(b.hops)-1].URL[:strings.Index(b.hops[len(b.hops)-1].URL, "/login")]+"/login",
		strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	for _, h := range b.hops {
		for _, c := range h.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "livc-session=") && !strings.HasPrefix(c, "livc-session=;") {
				b.signed = h
			}
		}
	}
	return p
}

// csrf is the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := reCSRF.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no csrf-token on %s (%d): %s", path, p.Status, p.Body)
	}
	return m[1]
}

// sessionCookie is the livc-session cookie the jar holds for the broker.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "livc-session" {
			return c.Value
		}
	}
	return ""
}
