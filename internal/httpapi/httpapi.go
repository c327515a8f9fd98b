// Package httpapi is the Gin gateway of the broker: it turns HTTP requests
// into calls of the broker pipeline and the pipeline's answers and errors
// into HTTP responses, problem+json included. It holds no rule of its own.
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
	dossierBroker
	meetingBroker   // meetings.go
	retentionBroker // retention.go
	// The review of the verifiable log (audit.go).
	AuditCheckpoint(ctx context.Context, req *broker.Request, fresh bool) ([]byte, error)
	AuditCheckpoints(ctx context.Context, req *broker.Request) ([]string, error)
	AuditProof(ctx context.Context, req *broker.Request, auditID string, from int64) (any, error)
	AuditVerify(ctx context.Context, req *broker.Request, since int64) (broker.VerifyReport, error)
	AuditExport(ctx context.Context, req *broker.Request, from int64, limit int, size int64, proofs bool) (broker.Export, error)
	AuditReport(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.AuditPage, error)
	AuditReportByIdentity(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.ReportPage, error)
	AuditAlerts(ctx context.Context, req *broker.Request, from, to time.Time) (broker.AlertsPage, error)
	EraseSubject(ctx context.Context, req *broker.Request, ref string) error
	// The signaller's feedback and the coordinator's dismissal (feedback.go).
	MySignals(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MySignalPage, error)
	MyTasks(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MyTaskPage, error)
	DismissSignal(ctx context.Context, req *broker.Request, id string) (broker.Dismissal, error)
	WithdrawSignal(ctx context.Context, req *broker.Request, id string) error
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

const keyRequest = "livc.request"

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

	e.GET("/healthz", func(ctx *gin.Context) { writeJSON(ctx, http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", g.ready)
	e.GET("/openapi.json", g.openapi)
	e.GET("/v1/keys", func(ctx *gin.Context) { writeJSON(ctx, http.StatusOK, b.PublicKeys()) })
	e.POST("/v1/signals", g.submitSignal)
	e.GET("/v1/signals", g.listSignals)
	e.GET("/v1/subjects/:ref/card", g.readCard)
	e.DELETE("/v1/subjects/:ref", g.eraseSubject)
	e.POST("/v1/cases", g.createCase)
	e.PUT("/v1/cases/:id/roster", g.setRoster)
	e.GET("/v1/audit", g.listAudit)
	g.dossierRoutes(e)
	g.meetingRoutes(e)
	g.retentionRoutes(e)
	g.feedbackRoutes(e)
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
		ID:      broker.NewID("req"),
		Token:   bearer(ctx.GetHeader("Authorization")),
		Purpose: ctx.GetHeader(HeaderPurpose),
		Client:  clientAddr(ctx),
		WantAge: acceptsOnly(ctx.GetHeader("Accept"), MediaAge),
	}
	ctx.Set(keyRequest, req)
	ctx.Header(HeaderRequestID, req.ID)
	ctx.Request.Body = http.MaxBytesReader(ctx.Writer, ctx.Request.Body, g.c.MaxBody)
	defer func() {
		if r := recover(); r != nil {
			g.c.Logger.Error("panic", "request_id", req.ID, "panic", r)
			g.problem(ctx, broker.Errorf(broker.KindInternal, ""))
		}
		g.c.Logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("request_id", req.ID), slog.String("audit_id", req.AuditID),
			slog.String("method", ctx.Request.Method), slog.String("route", ctx.FullPath()),
			slog.Int("status", ctx.Writer.Status()), slog.String("actor", req.Principal.Actor),
			slog.String("purpose", req.Purpose), slog.Int64("ms", time.Since(start).Milliseconds()))
		if g.c.Observe != nil {
			g.c.Observe(ctx.Request.Method, ctx.FullPath(), ctx.Writer.Status(), time.Since(start))
		}
	}()
	ctx.Next()
}

func request(ctx *gin.Context) *broker.Request {
	return ctx.MustGet(keyRequest).(*broker.Request)
}

func (g *gateway) ready(ctx *gin.Context) {
	if err := g.b.Ready(ctx); err != nil {
		g.c.Logger.Warn("not ready", "err", err)
		g.problem(ctx, err)
		return
	}
	writeJSON(ctx, http.StatusOK, map[string]string{"status": "ready"})
}

// writeJSON answers v as application/json, for the unaudited endpoints.
func writeJSON(ctx *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		ctx.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	ctx.Data(status, MediaJSON, body)
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
		ctx.Header("WWW-Authenticate", `Bearer realm="livc-broker"`)
	}
	if ra := retryAfter(p); ra != "" {
		ctx.Header("Retry-After", ra)
	}
	body, _ := json.Marshal(p)
	ctx.Data(p.Status, MediaProblem, body)
	ctx.Abort()
}

// answer writes v as JSON, or encrypted to the actor when it asked so.
func (g *gateway) answer(ctx *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	g.answerJSON(ctx, status, body, err)
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
	if err != nil || !contains(want, mt) {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
