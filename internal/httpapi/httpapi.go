// Package httpapi is the Gin gateway of the broker: it turns HTTP requests
// into calls of the broker pipeline and the pipeline's answers and errors
// into HTTP responses, problem+json included. It holds no rule of its own.
//
// Every endpoint is written in one style (handler.go): a method of gateway
//
//	func (g *gateway) readCase(ctx *gin.Context, req *broker.Request) (int, any, error) {
//		return ok(g.b.ReadCase(ctx, req, ctx.Param("id")))
//	}
//
// registered with g.handle next to its neighbours (New, or the routes
// function of its file: dossierRoutes, feedbackRoutes, auditRoutes):
//
//	e.GET("/v1/cases/:id", g.handle(g.readCase))
//
// A handler reads the path and query, hands the body to the pipeline with
// withBody (which reads it only after authentication), sets req.Refuse for
// a malformed query (the pipeline refuses it after the decision, audited),
// calls the Broker once and returns ok, created or done of its answer, or
// a status with the value (rawJSON for JSON already encoded, plainText for
// text). It never writes to ctx: handle answers problem+json for an error
// (problem.go) and JSON, sealed to the actor when asked, for the rest.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// Broker is what the gateway needs of the pipeline.
type Broker interface {
	PublicKeys() broker.PublicKeys
	Ready(ctx context.Context) error
	SealAnswer(req *broker.Request, body []byte) ([]byte, error)
	SubmitSignal(ctx context.Context, req *broker.Request) (broker.Receipt, error)
	ListSignals(ctx context.Context, req *broker.Request, state, cursor, limit string) (broker.SignalPage, error)
	ReadCard(ctx context.Context, req *broker.Request, ref string) (broker.Card, error)
	CreateCase(ctx context.Context, req *broker.Request) (broker.Case, error)
	SetRoster(ctx context.Context, req *broker.Request, id string) (broker.Case, error)
	ListAudit(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.AuditPage, error)
	EraseSubject(ctx context.Context, req *broker.Request, ref string) error
	// Each family of endpoints declares what it needs in its own file.
	dossierBroker   // dossiers.go
	auditBroker     // audit.go
	feedbackBroker  // feedback.go
	shareBroker     // share.go
	meetingBroker   // meetings.go
	retentionBroker // retention.go
	Refuse(ctx context.Context, req *broker.Request, action string, err error) error
}

// Conf holds the gateway's settings.
type Conf struct {
	// MaxBody is the largest request body accepted; larger is 413. Default 1 MiB.
	MaxBody int64
	Logger  *slog.Logger
	// Metrics, when set, is served at GET /metrics (unaudited, no token);
	// leave it nil when metrics have a listener of their own.
	Metrics http.Handler
	// Observe, when set, is told of every answered request: its method, its
	// route template ("" for no route) and status, and how long it took.
	Observe func(method, route string, status int, took time.Duration)
	// TrustedProxies are the addresses or CIDR networks of the proxies whose
	// X-Forwarded-For (or X-Real-IP) names the client; from any other peer
	// those headers are ignored and the client is the peer. Default none.
	TrustedProxies []string
}

// Headers of the API.
const (
	HeaderPurpose   = "LIVC-Purpose"
	HeaderRequestID = "X-Request-Id"
	HeaderAuditID   = "X-Audit-Id"
	MediaAge        = "application/age"
	MediaJSON       = "application/json"
	MediaProblem    = "application/problem+json"
)

const (
	keyRequest = "livc.request"
	// keyRefusal holds why a request's token was refused, for its log line.
	keyRefusal = "livc.refusal"
)

// New returns the HTTP handler of the API over b.
func New(b Broker, c Conf) http.Handler {
	if c.MaxBody <= 0 {
		c.MaxBody = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(c.TrustedProxies); err != nil {
		// Fail closed: trust no proxy rather than some.
		c.Logger.Error("trusted proxies refused; the client is the peer", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
	g := &gateway{b: b, c: c}
	e.Use(g.boundary)
	e.NoRoute(func(ctx *gin.Context) {
		g.refuse(ctx, broker.Errorf(broker.KindNotFound, "no such endpoint"))
	})
	e.NoMethod(func(ctx *gin.Context) {
		g.refuse(ctx, broker.Errorf(broker.KindMethodNotAllowed, "method not allowed on this endpoint"))
	})

	e.GET("/healthz", g.handle(g.healthz))
	e.HEAD("/healthz", g.handle(g.healthz)) // probes that send HEAD: net/http writes no body
	e.GET("/readyz", g.handle(g.ready))
	e.HEAD("/readyz", g.handle(g.ready))
	e.GET("/openapi.json", g.handle(g.openapi))
	e.GET("/v1/keys", g.handle(g.publicKeys))
	e.POST("/v1/signals", g.handle(g.submitSignal))
	e.GET("/v1/signals", g.handle(g.listSignals))
	e.GET("/v1/subjects/:ref/card", g.handle(g.readCard))
	e.DELETE("/v1/subjects/:ref", g.handle(g.eraseSubject))
	e.POST("/v1/cases", g.handle(g.createCase))
	e.PUT("/v1/cases/:id/roster", g.handle(g.setRoster))
	e.GET("/v1/audit", g.handle(g.listAudit))
	g.dossierRoutes(e)
	g.meetingRoutes(e)
	g.retentionRoutes(e)
	g.feedbackRoutes(e)
	g.shareRoutes(e)
	g.auditRoutes(e)
	if c.Metrics != nil {
		e.GET("/metrics", gin.WrapH(c.Metrics))
	}
	return e
}

type gateway struct {
	b Broker
	c Conf
}

// boundary gives every request an id, bounds its body, recovers from panics
// and logs it once, without a token, a key or a value.
func (g *gateway) boundary(ctx *gin.Context) {
	start := time.Now()
	req := &broker.Request{
		ID:      requestID(ctx.GetHeader(HeaderRequestID)),
		Token:   bearer(ctx.GetHeader("Authorization")),
		Purpose: ctx.GetHeader(HeaderPurpose),
		Client:  clientAddr(ctx),
		WantAge: acceptsOnly(ctx.GetHeader("Accept"), MediaAge),
	}
	ctx.Set(keyRequest, req)
	ctx.Header(HeaderRequestID, req.ID)
	if !publicDocument(ctx.FullPath()) {
		// Set before any handler runs, so that every answer has it, a
		// refusal or a panic's 500 included: no cache keeps personal data.
		ctx.Header("Cache-Control", "no-store")
	}
	ctx.Request.Body = http.MaxBytesReader(ctx.Writer, ctx.Request.Body, g.c.MaxBody)
	defer func() {
		if r := recover(); r != nil {
			g.c.Logger.Error("panic", "request_id", req.ID, "panic", r)
			g.problem(ctx, broker.Errorf(broker.KindInternal, ""))
		}
		attrs := []slog.Attr{slog.String("request_id", req.ID), slog.String("audit_id", req.AuditID),
			slog.String("method", ctx.Request.Method), slog.String("route", ctx.FullPath()),
			slog.Int("status", ctx.Writer.Status()), slog.String("actor", req.Principal.Actor),
			slog.String("purpose", req.Purpose), slog.Int64("ms", time.Since(start).Milliseconds())}
		if r := ctx.GetString(keyRefusal); r != "" {
			// Why the token was refused, for the operator: a category
			// such as "expired" or "missing claim actor", never the token.
			attrs = append(attrs, slog.String("token_refused", r))
		}
		g.c.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
		if g.c.Observe != nil {
			g.c.Observe(ctx.Request.Method, ctx.FullPath(), ctx.Writer.Status(), time.Since(start))
		}
	}()
	ctx.Next()
}

// requestID is the id of a request: the client's X-Request-Id when it has
// the safe shape of validRequestID (so a proxy's id follows the request
// into the logs and the audit entry), else a new one. Anything else is
// replaced, never echoed: it could forge log lines or carry a value.
func requestID(incoming string) string {
	if validRequestID(incoming) {
		return incoming
	}
	return broker.NewID("req")
}

// validRequestID: 1 to 64 characters of [A-Za-z0-9._-].
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// publicDocument tells the routes whose answers are the same for everyone
// and carry nothing about a person (the API description, the broker's
// public keys): the only ones a cache may keep.
func publicDocument(route string) bool {
	return route == "/openapi.json" || route == "/v1/keys"
}

func request(ctx *gin.Context) *broker.Request {
	return ctx.MustGet(keyRequest).(*broker.Request)
}

// healthz, ready and publicKeys are not audited: the pipeline never sees
// them, so the request has no audit id and no key to seal to, and handle
// answers them as plain JSON.
func (g *gateway) healthz(*gin.Context, *broker.Request) (int, any, error) {
	return ok(map[string]string{"status": "ok"}, nil)
}

func (g *gateway) ready(ctx *gin.Context, _ *broker.Request) (int, any, error) {
	if err := g.b.Ready(ctx); err != nil {
		g.c.Logger.Warn("not ready", "err", err)
		return 0, nil, err
	}
	return ok(map[string]string{"status": "ready"}, nil)
}

func (g *gateway) publicKeys(*gin.Context, *broker.Request) (int, any, error) {
	return ok(g.b.PublicKeys(), nil)
}

// problem writes err as problem+json.
func (g *gateway) problem(ctx *gin.Context, err error) {
	req := request(ctx)
	p := problemFor(err, req.ID, req.AuditID)
	if p.Status >= 500 {
		g.c.Logger.Error("request failed", "request_id", req.ID, "audit_id", req.AuditID, "err", err)
	}
	if req.AuditID != "" {
		ctx.Header(HeaderAuditID, req.AuditID)
	}
	if p.Status == http.StatusUnauthorized {
		h, reason := challenge(err)
		ctx.Header("WWW-Authenticate", h)
		ctx.Set(keyRefusal, reason)
	}
	if ra := retryAfter(p); ra != "" {
		ctx.Header("Retry-After", ra)
	}
	body, _ := json.Marshal(p)
	ctx.Data(p.Status, MediaProblem, body)
	ctx.Abort()
}

// answerJSON writes body, v as JSON, or encrypted to the actor when it asked
// so; err is the error encoding v, for a 500 instead.
func (g *gateway) answerJSON(ctx *gin.Context, status int, body []byte, err error) {
	req := request(ctx)
	if req.AuditID != "" {
		ctx.Header(HeaderAuditID, req.AuditID)
	}
	if err != nil {
		g.problem(ctx, broker.Wrap(broker.KindInternal, err, ""))
		return
	}
	if len(req.SealTo) > 0 {
		sealed, err := g.b.SealAnswer(req, body)
		if err != nil {
			g.problem(ctx, err)
			return
		}
		ctx.Data(status, MediaAge, sealed)
		return
	}
	ctx.Data(status, MediaJSON, body)
}

// readBody reads the whole body, refusing one over the limit or of another
// media type than want.
func (g *gateway) readBody(ctx *gin.Context, want ...string) ([]byte, error) {
	if ctx.Request.ContentLength > g.c.MaxBody {
		return nil, broker.Errorf(broker.KindTooLarge, "the body is larger than %d bytes", g.c.MaxBody)
	}
	mt, _, err := mime.ParseMediaType(ctx.GetHeader("Content-Type"))
	if err != nil || !slices.Contains(want, mt) {
		return nil, broker.Errorf(broker.KindUnsupportedMedia, "Content-Type must be %s", strings.Join(want, " or "))
	}
	body, err := io.ReadAll(ctx.Request.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, broker.Errorf(broker.KindTooLarge, "the body is larger than %d bytes", g.c.MaxBody)
	}
	if err != nil {
		return nil, broker.Wrap(broker.KindBadRequest, err, "the body could not be read")
	}
	return body, nil
}

// clientAddr is the client's address: the peer's, or the one a trusted
// proxy forwarded (Conf.TrustedProxies); the zero Addr if unreadable.
func clientAddr(ctx *gin.Context) netip.Addr {
	a, err := netip.ParseAddr(ctx.ClientIP())
	if err != nil {
		return netip.Addr{}
	}
	return a
}

func bearer(h string) string {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// acceptsOnly reports whether the Accept header asks for media type mt.
func acceptsOnly(accept, mt string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		m, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && m == mt {
			return true
		}
	}
	return false
}
