package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/livc/livc-broker/broker"
)

// OIDCConf is the cell's identity provider, for the authorization code
// flow with PKCE.
type OIDCConf struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the broker's /auth/callback as the browser reaches it.
	RedirectURL string
	// LivcClaim and ActorClaim name the ID token's claims that carry the
	// person's cell and actor; defaults "livc" and "actor".
	LivcClaim  string
	ActorClaim string
}

func (c *OIDCConf) validate() error {
	if c.LivcClaim == "" {
		c.LivcClaim = "livc"
	}
	if c.ActorClaim == "" {
		c.ActorClaim = "actor"
	}
	switch {
	case c.Issuer == "", c.ClientID == "", c.RedirectURL == "":
		return errors.New("web: OpenID Connect needs an issuer, a client id and a redirect URL")
	}
	u, err := url.Parse(c.RedirectURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "/auth/callback" {
		return fmt.Errorf("web: the redirect URL must be an absolute http(s) URL ending in /auth/callback, got %q", c.RedirectURL)
	}
	return nil
}

// oidcClient discovers the provider on first use (and again after a
// failure), so that a provider down when the broker starts does not stop it.
type oidcClient struct {
	c    OIDCConf
	http *http.Client
	mu   sync.Mutex
	prov *oidc.Provider
}

func newOIDCClient(c OIDCConf) *oidcClient {
	return &oidcClient{c: c, http: &http.Client{Timeout: 10 * time.Second}}
}

func (o *oidcClient) provider(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prov != nil {
		return o.prov, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.http), o.c.Issuer)
	if err != nil {
		return nil, err
	}
	o.prov = p
	return p, nil
}

func (o *oidcClient) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.c.ClientID, ClientSecret: o.c.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.c.RedirectURL, Scopes: []string{oidc.ScopeOpenID}}
}

// pendingLogin is a sign-in in progress, server-side under the hash of the
// id in the browser's livc-login cookie: checked once, then deleted.
type pendingLogin struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

const loginTTL = 10 * time.Minute

// login starts the authorization code flow: state, nonce and the PKCE
// verifier are kept server-side, the browser is sent to the provider.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.logins.Allow() {
		// Each sign-in in progress is a record in the store: a flood of
		// them from anyone is bounded, not stored.
		s.plainError(w, r, http.StatusTooManyRequests, "error.rate_limited")
		return
	}
	p, err := s.oidc.provider(r.Context())
	if err != nil {
		s.c.Logger.Error("OpenID provider unreachable", "err", err)
		s.plainError(w, r, http.StatusServiceUnavailable, "error.idp_unavailable")
		return
	}
	pl := pendingLogin{State: randomID(), Nonce: randomID(), Verifier: oauth2.GenerateVerifier()}
	b, _ := json.Marshal(pl)
	id := randomID()
	if err := s.c.Store.Put(r.Context(), storeKey("login", id), b, loginTTL); err != nil {
		s.c.Logger.Error("web session store", "err", err)
		s.plainError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	// Lax, not Strict: the provider sends the browser back cross-site.
	s.setCookie(w, cookieLogin, id, int(loginTTL.Seconds()), http.SameSiteLaxMode)
	u := s.oidc.oauth(p).AuthCodeURL(pl.State, oidc.Nonce(pl.Nonce), oauth2.S256ChallengeOption(pl.Verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// callback completes the flow: the state must be the one this browser's
// sign-in started with, the code is exchanged with its PKCE verifier, the
// ID token verified (signature, issuer, audience, expiry) and its nonce
// checked; its livc and actor claims must name an actor of a cell this
// broker serves, or the sign-in is refused (and audited as a refused login).
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	pl, ok := s.takeLogin(w, r)
	if !ok || !sameToken(r.URL.Query().Get("state"), pl.State) || r.URL.Query().Get("code") == "" {
		s.plainError(w, r, http.StatusBadRequest, "error.signin_failed")
		return
	}
	p, err := s.oidc.provider(r.Context())
	if err != nil {
		s.plainError(w, r, http.StatusServiceUnavailable, "error.idp_unavailable")
		return
	}
	ctx := oidc.ClientContext(r.Context(), s.oidc.http)
	tok, err := s.oidc.oauth(p).Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(pl.Verifier))
	if err != nil {
		s.c.Logger.Warn("OpenID code exchange failed", "err", err)
		s.plainError(w, r, http.StatusBadRequest, "error.signin_failed")
		return
	}
	sess, err := s.identity(ctx, p, tok, pl.Nonce)
	if err != nil {
		s.c.Logger.Warn("OpenID ID token refused", "err", err)
		s.plainError(w, r, http.StatusBadRequest, "error.signin_failed")
		return
	}
	s.open(w, r, sess)
}

// takeLogin returns the browser's sign-in in progress and forgets it.
func (s *Server) takeLogin(w http.ResponseWriter, r *http.Request) (pendingLogin, bool) {
	id := s.cookie(r, cookieLogin)
	s.setCookie(w, cookieLogin, "", -1, http.SameSiteLaxMode)
	if id == "" {
		return pendingLogin{}, false
	}
	b, ok, err := s.c.Store.Take(r.Context(), storeKey("login", id))
	var pl pendingLogin
	if err != nil || !ok || json.Unmarshal(b, &pl) != nil {
		return pendingLogin{}, false
	}
	return pl, true
}

// identity verifies the ID token of tok and reads the person from it.
func (s *Server) identity(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, nonce string) (Session, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return Session{}, errors.New("no id_token in the answer")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.c.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Session{}, err
	}
	if !sameToken(idt.Nonce, nonce) {
		return Session{}, errors.New("the nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Session{}, err
	}
	livc, _ := claims[s.oidc.c.LivcClaim].(string)
	actor, _ := claims[s.oidc.c.ActorClaim].(string)
	if idt.Subject == "" || livc == "" || actor == "" {
		return Session{}, errors.New("the ID token lacks sub, or the cell or actor claim")
	}
	return Session{Sub: idt.Subject, Livc: livc, Actor: actor}, nil
}

// open starts a session for sess if it names an actor of a cell this
// broker serves; else the pipeline audits the refused login and the page
// says no. The answer is a page that moves on to the home page by itself:
// a redirect would still be part of the provider's cross-site navigation,
// on which the browser does not send the SameSite=Strict session cookie.
func (s *Server) open(w http.ResponseWriter, r *http.Request, sess Session) {
	cell, ok := s.b.Cell(sess.Livc)
	if ok {
		_, ok = cell.Actor(sess.Actor)
	}
	if !ok {
		req := &broker.Request{ID: broker.NewID("req"), Purpose: "signin", Client: clientAddr(r)}
		ctx := context.WithValue(r.Context(), principalKey{}, sess.Principal(s.c.Lifetime))
		_ = s.b.Refuse(ctx, req, "web.signin", broker.Errorf(broker.KindUnauthenticated, ""))
		s.plainError(w, r, http.StatusForbidden, "error.signin_refused")
		return
	}
	// A session this browser had ends: one person, one session per sign-in.
	if err := s.endSession(w, r); err != nil {
		s.c.Logger.Error("web session store", "err", err)
	}
	if err := s.startSession(r.Context(), w, sess); err != nil {
		s.c.Logger.Error("web session store", "err", err)
		s.plainError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	s.render(w, http.StatusOK, "signedin", &view{Lang: s.lang(r), Title: "signedin.title", Path: "/"})
}
