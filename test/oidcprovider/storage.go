package oidcprovider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the provider's state, in memory: its users, clients,
// authorization requests and codes, and its signing key. It implements
// op.Storage for the authorization code flow only: no refresh tokens, no
// token exchange, no JWT profile; refresh tokens for native clients, which
// are rotated on use.
type storage struct {
	mu       sync.Mutex
	users    map[string]User // by login name
	clients  map[string]*client
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	refresh  map[string]*refreshRequest
	key      *rsa.PrivateKey
	keyID    string
}

func newStorage() (*storage, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &storage{users: map[string]User{}, clients: map[string]*client{}, requests: map[string]*authRequest{},
		codes: map[string]string{}, refresh: map[string]*refreshRequest{}, key: k, keyID: randomID()[:12]}, nil
}

var errNotFound = errors.New("not found")

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{id: randomID(), created: time.Now(), clientID: r.ClientID, redirect: r.RedirectURI,
		state: r.State, nonce: r.Nonce, scopes: r.Scopes, respType: r.ResponseType, respMode: r.ResponseMode, userID: userID,
		audience: []string{r.ClientID}}
	if c, ok := s.clients[r.ClientID]; ok {
		a.audience = append(a.audience, c.audience...)
	}
	if r.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.requests[a.id] = a
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	return a, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, r := range s.codes {
		if r == id {
			delete(s.codes, c)
		}
	}
	return nil
}

// complete marks the request id as signed in by the user of login name.
func (s *storage) complete(id, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	u, known := s.users[login]
	if !ok || !known {
		return errNotFound
	}
	a.userID, a.authTime = u.Subject, time.Now()
	return nil
}

func (s *storage) userBySubject(sub string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Subject == sub {
			return u, true
		}
	}
	return User{}, false
}

// accessTTL is how long an access token of the request's client is good
// for: the client's own lifetime, else five minutes.
func (s *storage) accessTTL(r op.TokenRequest) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cr, ok := r.(interface{ GetClientID() string }); ok {
		if c, ok := s.clients[cr.GetClientID()]; ok && c.accessTTL > 0 {
			return c.accessTTL
		}
	}
	return 5 * time.Minute
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	return randomID(), time.Now().Add(s.accessTTL(r)), nil
}

// CreateAccessAndRefreshTokens makes a new refresh token for the request
// and, on a refresh, retires the one used: a refresh token works once.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	ttl := s.accessTTL(r)
	cr, ok := r.(interface {
		GetClientID() string
		GetAuthTime() time.Time
	})
	if !ok {
		return "", "", time.Time{}, errors.New("no client in the token request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current)
	}
	next := randomID()
	s.refresh[next] = &refreshRequest{subject: r.GetSubject(), clientID: cr.GetClientID(), scopes: r.GetScopes(),
		audience: r.GetAudience(), authTime: cr.GetAuthTime()}
	return randomID(), next, time.Now().Add(ttl), nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refresh[token]
	if !ok {
		return nil, op.ErrInvalidRefreshToken
	}
	return r, nil
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return &signingKey{id: s.keyID, key: s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{&signingKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errNotFound
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.secret != secret {
		return errors.New("client refused")
	}
	return nil
}

// SetUserinfoFromScopes gives the ID token its subject; the claims come
// from SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	info.Subject = userID
	return nil
}

// SetUserinfoFromRequest puts the user's claims (livc, actor, …) in the ID
// token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	u, ok := s.userBySubject(r.GetSubject())
	if !ok {
		return errNotFound
	}
	info.Subject = u.Subject
	for k, v := range u.Claims {
		info.AppendClaims(k, v)
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	info.Subject = subject
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection")
}

// GetPrivateClaimsFromScopes puts the user's claims in a JWT access token
// (a native client's), as an identity provider configured for an API does.
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, subject, _ string, _ []string) (map[string]any, error) {
	u, ok := s.userBySubject(subject)
	if !ok {
		return nil, errNotFound
	}
	return u.Claims, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile")
}

func (s *storage) Health(context.Context) error { return nil }
