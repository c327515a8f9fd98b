// Package oidcprovider is a real OpenID Connect provider for the tests,
// built on github.com/zitadel/oidc/v3's op package (discovery, JWKS,
// authorization with PKCE, token endpoint, signed ID tokens): the tests
// sign in to the broker's web pages through it as a browser would, never
// through a hand-made token endpoint. Users carry whatever claims a test
// gives them (livc and actor, or other names); the login page is a form
// that names the user, no password.
package oidcprovider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person the provider signs in: Login is what the login form
// takes, Subject the ID token's sub, Claims the ID token's other claims.
type User struct {
	Login   string
	Subject string
	Claims  map[string]any
}

// Provider is a running provider on the loopback.
type Provider struct {
	// Issuer is the provider's URL, its OpenID issuer.
	Issuer string
	st     *storage
	srv    *http.Server
}

// Start runs a provider on a random loopback port until Close.
func Start() (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	st, err := newStorage()
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), st: st}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		ln.Close()
		return nil, err
	}
	prov, err := op.NewProvider(&op.Config{CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true, GrantTypeRefreshToken: true},
		st, op.StaticIssuer(p.Issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	l := &login{st: st, callback: op.AuthCallbackURL(prov)}
	icpt := op.NewIssuerInterceptor(prov.IssuerFromRequest)
	mux.HandleFunc("GET /login", l.page)
	mux.Handle("POST /login", icpt.HandlerFunc(l.submit))
	mux.Handle("/", prov)
	p.srv = &http.Server{Handler: mux}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Shutdown(context.Background()) }

// AddUser registers u (replacing one of the same login).
func (p *Provider) AddUser(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.users[u.Login] = u
}

// AddClient registers a confidential client with its secret and the
// redirect URIs it may use.
func (p *Provider) AddClient(id, secret string, redirects ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.clients[id] = &client{id: id, secret: secret, redirects: redirects}
}

// AddNativeClient registers a public command-line client (RFC 8252): no
// secret, PKCE required, a loopback redirect URI matching on any port. Its
// access tokens are JWTs signed by the provider, carrying the user's
// claims, aud the client's ID and audience, good for accessTTL; with the
// offline_access scope it gets refresh tokens, each good once.
func (p *Provider) AddNativeClient(id string, audience []string, accessTTL time.Duration, redirects ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.clients[id] = &client{id: id, redirects: redirects, native: true, audience: audience, accessTTL: accessTTL}
}

// login is the provider's sign-in page: a form naming the user.
type login struct {
	st       *storage
	callback func(context.Context, string) string
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">User</label> <input id="username" name="username" autocomplete="username">
<button type="submit" id="signin">Sign in</button>
</form></main></body></html>`))

func (l *login) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginPage.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")})
}

func (l *login) submit(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("id")
	if err := l.st.complete(id, r.PostFormValue("username")); err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		loginPage.Execute(w, map[string]string{"ID": id, "Error": "unknown user"})
		return
	}
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

func randomID() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprint("oidcprovider: ", errors.New("crypto/rand failed")))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
