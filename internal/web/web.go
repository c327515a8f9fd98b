// Package web is the broker's web application: server-rendered pages for
// the people of a cell, a second gateway beside internal/httpapi. Its
// handlers call the same use cases of the pipeline as the API, with the
// signed-in person's principal and the purpose the page stands for, so that
// every action is decided by the policy and audited like an API request.
// Sign-in is OpenID Connect (oidc.go); sessions live server-side
// (session.go); every state-changing request carries a CSRF token (csrf.go);
// every answer carries the security headers (headers.go).
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/livc/livc-broker/broker"
)

// Broker is what the pages need of the pipeline: the use cases the API
// calls, and the cells' configuration to render from.
type Broker interface {
	MemberBroker
	VerifyBroker
	InsightBroker
	PrivacyBroker
	PublicKeys() broker.PublicKeys
	Cell(id string) (*broker.Cell, bool)
	CellIDs() []string
	Refuse(ctx context.Context, req *broker.Request, action string, err error) error
	SubmitSignal(ctx context.Context, req *broker.Request) (broker.Receipt, error)
	MySignals(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MySignalPage, error)
	WithdrawSignal(ctx context.Context, req *broker.Request, id string) error
	ListSignals(ctx context.Context, req *broker.Request, state, cursor, limit string) (broker.SignalPage, error)
	DismissSignal(ctx context.Context, req *broker.Request, id string) (broker.Dismissal, error)
	CreateCase(ctx context.Context, req *broker.Request) (broker.Case, error)
	TakeSignals(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	ListCases(ctx context.Context, req *broker.Request, cursor string, limit int) (broker.CasePage, error)
	ReadCase(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	Transition(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	SetRoster(ctx context.Context, req *broker.Request, id string) (broker.Case, error)
	RecordMeeting(ctx context.Context, req *broker.Request, id string) (broker.MeetingView, error)
	ListMeetings(ctx context.Context, req *broker.Request, id, cursor, limit string) (broker.MeetingPage, error)
	ListRetention(ctx context.Context, req *broker.Request, days, cursor, limit string) (broker.RetentionPage, error)
	ReviewCase(ctx context.Context, req *broker.Request, id string) (broker.Review, error)
}

// Conf holds the web application's settings.
type Conf struct {
	// Store keeps sessions and sign-ins in progress; required.
	Store Store
	// OIDC is the identity provider to sign in with; nil for none.
	OIDC *OIDCConf
	// Dev enables the development sign-in (/auth/dev), which lets anyone
	// act as any actor: only when the broker runs on development keys.
	Dev bool
	// Secure marks the cookies Secure, with the __Host- prefix: set it
	// whenever the browser reaches the broker over HTTPS.
	Secure bool
	// IdleTimeout ends a session unused that long; Lifetime ends any
	// session that old. Defaults 30m and 12h.
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// MaxBody bounds a request body (a signal's envelope); default 1 MiB.
	MaxBody int64
	Logger  *slog.Logger
	// Observe, when set, is told of every answer of the web application:
	// its method, route pattern, status and how long it took (metrics).
	Observe func(method, route string, status int, took time.Duration)
	Now     func() time.Time
}

func (c *Conf) validate() error {
	if c.Store == nil {
		return errors.New("web: a session store is required")
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.Lifetime <= 0 {
		c.Lifetime = 12 * time.Hour
	}
	if c.IdleTimeout > c.Lifetime {
		return errors.New("web: the idle timeout is longer than the session lifetime")
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OIDC != nil {
		return c.OIDC.validate()
	}
	return nil
}

// Server is the web application.
type Server struct {
	b     Broker
	c     Conf
	mux   *http.ServeMux
	pages *pages
	tr    *translator
	oidc  *oidcClient // nil without OIDC
	pre   []byte      // the key of the dev sign-in's pre-session CSRF token
	// logins bounds the sign-ins started (each a record in the store) by
	// everyone together: 20 a second, bursts of 200.
	logins *rate.Limiter
}

// New returns the web application over b.
func New(b Broker, c Conf) (*Server, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	tr, err := newTranslator()
	if err != nil {
		return nil, err
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{b: b, c: c, mux: http.NewServeMux(), pages: pg, tr: tr, pre: []byte(randomID()),
		logins: rate.NewLimiter(20, 200)}
	if c.OIDC != nil {
		s.oidc = newOIDCClient(*c.OIDC)
	}
	s.routes()
	return s, nil
}

// Handler returns the web application in front of api: a request for one
// of the application's routes is answered by it, with the security headers
// and cross-origin protection; any other goes to api untouched.
func (s *Server) Handler(api http.Handler) http.Handler {
	guarded := securityHeaders(s.crossOrigin(s.mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		if pattern == "" && !ownPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		start, sw := s.c.Now(), &statusWriter{ResponseWriter: w, status: http.StatusOK}
		guarded.ServeHTTP(sw, r)
		took := s.c.Now().Sub(start)
		// Logged once, by route pattern: never a query, a cookie or a value.
		s.c.Logger.LogAttrs(r.Context(), slog.LevelInfo, "web request", slog.String("method", r.Method),
			slog.String("route", pattern), slog.Int("status", sw.status), slog.Int64("ms", took.Milliseconds()))
		if s.c.Observe != nil {
			s.c.Observe(r.Method, pattern, sw.status, took)
		}
	})
}

// ownPath reports whether path is the web application's, even for a
// method it does not serve there (answered 405 with its headers).
func ownPath(path string) bool {
	if path == "/" {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return slices.Contains(ownPrefixes, first)
}

// ownPrefixes are the first segments of the web application's paths.
var ownPrefixes = []string{"auth", "signals", "intake", "cases", "retention", "lang", "static"}

// statusWriter remembers the status an answer was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// principalKey carries the signed-in person's principal in the context of
// the calls the web application makes; only its handlers set it.
type principalKey struct{}

// Authenticator wraps next, the verifier of bearer tokens: a call the web
// application makes (no token, the session's principal in its context) is
// the session's person; any other is judged by next. A request of the API
// never carries the principal: only this package's handlers put it there,
// after checking the session cookie.
func Authenticator(next broker.Authenticator) broker.Authenticator {
	return sessionAuth{next}
}

type sessionAuth struct{ next broker.Authenticator }

func (a sessionAuth) Authenticate(ctx context.Context, token string) (broker.Principal, error) {
	if p, ok := ctx.Value(principalKey{}).(broker.Principal); ok && token == "" {
		return p, nil
	}
	return a.next.Authenticate(ctx, token)
}
