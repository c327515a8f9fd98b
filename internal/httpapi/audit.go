package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// auditBroker is what the privacy officer's review of the verifiable log
// needs of the pipeline.
type auditBroker interface {
	AuditCheckpoint(ctx context.Context, req *broker.Request, fresh bool) ([]byte, error)
	AuditCheckpoints(ctx context.Context, req *broker.Request) ([]string, error)
	AuditProof(ctx context.Context, req *broker.Request, auditID string, from int64) (any, error)
	AuditVerify(ctx context.Context, req *broker.Request, since int64) (broker.VerifyReport, error)
	AuditExport(ctx context.Context, req *broker.Request, from int64, limit int, size int64, proofs bool) (broker.Export, error)
	AuditReport(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.AuditPage, error)
	AuditReportByIdentity(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.ReportPage, error)
	AuditAlerts(ctx context.Context, req *broker.Request, from, to time.Time) (broker.AlertsPage, error)
	AuditTile(ctx context.Context, req *broker.Request, path string) ([]byte, bool, error)
}

// auditRoutes registers the privacy officer's review of the verifiable log.
func (g *gateway) auditRoutes(e *gin.Engine) {
	e.GET("/v1/audit/checkpoint", g.handle(g.auditCheckpoint))
	e.GET("/v1/audit/checkpoints", g.handle(g.auditCheckpoints))
	e.GET("/v1/audit/proof", g.handle(g.auditProof))
	e.GET("/v1/audit/verify", g.handle(g.auditVerify))
	e.GET("/v1/audit/export", g.handle(g.auditExport))
	e.GET("/v1/audit/report", g.handle(g.auditReport))
	e.POST("/v1/audit/report", g.handle(g.auditReportByIdentity))
	e.GET("/v1/audit/alerts", g.handle(g.auditAlerts))
	e.GET("/v1/audit/tiles/*path", g.handle(g.auditTiles))
}

// intParam reads an optional integer query parameter, def when absent; a
// malformed one is refused by the pipeline, audited.
func intParam(ctx *gin.Context, name string, def int64) int64 {
	v := ctx.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		request(ctx).Refuse = broker.Invalid(name, "must be a whole number, 0 or more")
		return def
	}
	return n
}

// auditCheckpoint answers the signed checkpoint note, in text/plain.
func (g *gateway) auditCheckpoint(ctx *gin.Context, req *broker.Request) (int, any, error) {
	note, err := g.b.AuditCheckpoint(ctx, req, ctx.Query("fresh") == "1" || ctx.Query("fresh") == "true")
	return http.StatusOK, plainText(note), err
}

func (g *gateway) auditCheckpoints(ctx *gin.Context, req *broker.Request) (int, any, error) {
	notes, err := g.b.AuditCheckpoints(ctx, req)
	return ok(gin.H{"items": notes}, err)
}

func (g *gateway) auditProof(ctx *gin.Context, req *broker.Request) (int, any, error) {
	from := intParam(ctx, "from", -1)
	return ok(g.b.AuditProof(ctx, req, ctx.Query("id"), from))
}

func (g *gateway) auditVerify(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.AuditVerify(ctx, req, intParam(ctx, "since", 0)))
}

func (g *gateway) auditExport(ctx *gin.Context, req *broker.Request) (int, any, error) {
	from := intParam(ctx, "from", 0)
	limit := intParam(ctx, "limit", broker.DefaultLimit)
	size := intParam(ctx, "size", 0)
	proofs := ctx.DefaultQuery("proofs", "true") != "false"
	return ok(g.b.AuditExport(ctx, req, from, int(min(limit, 1<<20)), size, proofs))
}

func (g *gateway) auditReport(ctx *gin.Context, req *broker.Request) (int, any, error) {
	q, err := auditQuery(ctx)
	if err != nil {
		req.Refuse = err
	}
	return ok(g.b.AuditReport(ctx, req, q))
}

// auditReportByIdentity takes the identity age-encrypted, like a lookup;
// cursor, limit, from and to stay in the query.
func (g *gateway) auditReportByIdentity(ctx *gin.Context, req *broker.Request) (int, any, error) {
	q, err := auditQuery(ctx)
	if err != nil {
		req.Refuse = err
	}
	return ok(g.b.AuditReportByIdentity(ctx, g.withBody(ctx, req, ageBody...), q))
}

func (g *gateway) auditAlerts(ctx *gin.Context, req *broker.Request) (int, any, error) {
	from, err := broker.ParseTime("from", ctx.Query("from"))
	if err != nil {
		req.Refuse = err
	}
	to, err := broker.ParseTime("to", ctx.Query("to"))
	if err != nil {
		req.Refuse = err
	}
	return ok(g.b.AuditAlerts(ctx, req, from, to))
}

// tileMaxAge is how long a client may keep a full tile or entry bundle: a
// year (it never changes).
const tileMaxAge = 365 * 24 * 3600

// auditTiles serves the log as C2SP tlog-tiles under /v1/audit/tiles/: the
// latest signed checkpoint at checkpoint, tiles and entry bundles at their
// spec paths. A full tile or bundle never changes: the answer may be kept,
// by the client only (entries carry pseudonyms: private); a partial one
// grows, and is not kept.
func (g *gateway) auditTiles(ctx *gin.Context, req *broker.Request) (int, any, error) {
	path := strings.TrimPrefix(ctx.Param("path"), "/")
	if path == "checkpoint" {
		return g.auditCheckpoint(ctx, req)
	}
	data, full, err := g.b.AuditTile(ctx, req, path)
	if full {
		return http.StatusOK, octets{data: data, cache: "private, max-age=" + strconv.Itoa(tileMaxAge) + ", immutable"}, err
	}
	return http.StatusOK, octets{data: data, cache: "private, no-store"}, err
}
