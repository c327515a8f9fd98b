package clilogin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/livc/livc-broker/internal/loopback"
)

// DefaultTimeout bounds how long Login waits for the browser to come back.
const DefaultTimeout = 5 * time.Minute

// DefaultScopes are the scopes Login asks for when Conf.Scopes is empty:
// an ID token, and a refresh token so that AccessToken can renew it.
var DefaultScopes = []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}

// Conf configures Login.
type Conf struct {
	// Issuer is the provider's URL; its discovery document must name it.
	Issuer string
	// ClientID is livcctl's client at the provider: a public (native)
	// client, or a confidential one with ClientSecret.
	ClientID, ClientSecret string
	// Scopes asked for; they must include openid. Empty: DefaultScopes.
	Scopes []string
	// Out receives the URL to open and what Login is waiting for.
	Out io.Writer
	// OpenBrowser, when set, is given the URL to open; its failure is
	// only reported, the URL being printed anyway.
	OpenBrowser func(url string) error
	// Timeout bounds the wait for the browser; 0 means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient talks to the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// callback is what the loopback redirect brought back.
type callback struct {
	code string
	err  error
}

// Login signs the user in: the authorization code flow with PKCE (S256)
// through a redirect to http://127.0.0.1:PORT/callback, PORT random. It
// returns the token set once the state came back unchanged, the code was
// exchanged with the PKCE verifier, and the ID token verified (issuer,
// audience, signature, expiry) with the nonce sent. It fails when ctx ends
// or the timeout passes first, and on the first callback that carries a
// wrong state or an error: a callback nobody asked for ends the login
// rather than being waited out.
func Login(ctx context.Context, c Conf) (*Token, error) {
	if c.Issuer == "" || c.ClientID == "" {
		return nil, errors.New("clilogin: the issuer and the client ID are required")
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	if err := checkIssuer(c.Issuer); err != nil {
		return nil, err
	}
	if !containsScope(scopes, oidc.ScopeOpenID) {
		return nil, errors.New("clilogin: the scopes must include openid")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	if c.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.HTTPClient)
	}
	prov, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("clilogin: OpenID discovery of %s: %w", c.Issuer, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("clilogin: loopback listener: %w", err)
	}
	oc := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: "http://" + ln.Addr().String() + "/callback", Scopes: scopes}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	got := make(chan callback, 1)
	srv := &http.Server{Handler: callbackHandler(state, got), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	u := oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	fmt.Fprintf(c.Out, "Open this URL in your browser to sign in:\n\n  %s\n\nWaiting for the sign-in (at most %s)...\n", u, c.Timeout)
	if c.OpenBrowser != nil {
		if err := c.OpenBrowser(u); err != nil {
			fmt.Fprintf(c.Out, "Could not open a browser (%v): open the URL yourself.\n", err)
		}
	}
	var cb callback
	select {
	case cb = <-got:
	case <-ctx.Done():
		return nil, fmt.Errorf("clilogin: no sign-in came back: %w", ctx.Err())
	}
	if cb.err != nil {
		return nil, cb.err
	}
	return exchange(ctx, prov, oc, cb.code, verifier, nonce, c)
}

// exchange trades the code for tokens and checks the ID token.
func exchange(ctx context.Context, prov *oidc.Provider, oc *oauth2.Config, code, verifier, nonce string, c Conf) (*Token, error) {
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("clilogin: the code exchange failed: %w", describe(err))
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, errors.New("clilogin: the provider sent no ID token")
	}
	id, err := prov.Verifier(&oidc.Config{ClientID: c.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return nil, fmt.Errorf("clilogin: the ID token is not valid: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		return nil, errors.New("clilogin: the ID token does not carry the nonce sent")
	}
	return &Token{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, AccessToken: tok.AccessToken,
		RefreshToken: tok.RefreshToken, IDToken: rawID, Expiry: tok.Expiry}, nil
}

// callbackHandler takes the first request to /callback: its code when the
// state matches, else the error that ends the login. Later requests are
// told the sign-in is over.
func callbackHandler(state string, got chan<- callback) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var cb callback
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			cb.err = errors.New("clilogin: the sign-in came back with a wrong state: refused")
		case q.Get("error") != "":
			cb.err = fmt.Errorf("clilogin: the provider refused the sign-in: %s", printable(q.Get("error")))
		case q.Get("code") == "":
			cb.err = errors.New("clilogin: the sign-in came back without a code")
		default:
			cb.code = q.Get("code")
		}
		select {
		case got <- cb:
		default: // a login already came back
			http.Error(w, "This sign-in is already over.", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		msg := "You are signed in to livcctl. You may close this window."
		if cb.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			msg = "The sign-in failed; see livcctl's message."
		}
		fmt.Fprintf(w, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>livcctl</title></head><body><p>%s</p></body></html>", html.EscapeString(msg))
	})
	return mux
}

// checkIssuer refuses an issuer the code, the PKCE verifier and the tokens
// would travel to in clear: plain http is for a loopback provider only, as
// the broker holds its own issuer to (internal/token).
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("clilogin: the issuer %q is not an http(s) URL", printable(issuer))
	}
	h := u.Hostname()
	if u.Scheme == "http" && !loopback.Host(h) {
		return fmt.Errorf("clilogin: the issuer must use https (plain http only for a loopback host, not %q)", printable(h))
	}
	return nil
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func containsScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}

// printable keeps at most 64 printable ASCII characters of s, for a message
// quoting what the provider said.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// describe keeps an OAuth error's code and description, dropping the
// response body that oauth2.RetrieveError would print.
func describe(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return fmt.Errorf("%s %s", printable(re.ErrorCode), printable(re.ErrorDescription))
		}
		if re.Response != nil {
			return fmt.Errorf("status %d", re.Response.StatusCode)
		}
	}
	return err
}
