package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// auditRoutes registers the privacy officer's review of the verifiable log.
func (g *gateway) auditRoutes(e *gin.Engine) {
	e.GET("/v1/audit/checkpoint", g.auditCheckpoint)
	e.GET("/v1/audit/checkpoints", g.auditCheckpoints)
	e.GET("/v1/audit/proof", g.auditProof)
	e.GET("/v1/audit/verify", g.auditVerify)
	e.GET("/v1/audit/export", g.auditExport)
	e.GET("/v1/audit/report", g.auditReport)
	e.POST("/v1/audit/report", g.auditReportByIdentity)
	e.GET("/v1/audit/alerts", g.auditAlerts)
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

func (g *gateway) auditCheckpoint(ctx *gin.Context) {
	req := request(ctx)
	note, err := g.b.AuditCheckpoint(ctx, req, ctx.Query("fresh") == "1" || ctx.Query("fresh") == "true")
	if err != nil {
		g.problem(ctx, err)
		return
	}
	ctx.Header(HeaderAuditID, req.AuditID)
	ctx.Data(http.StatusOK, "text/plain; charset=utf-8", note)
}

func (g *gateway) auditCheckpoints(ctx *gin.Context) {
	notes, err := g.b.AuditCheckpoints(ctx, request(ctx))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, gin.H{"items": notes})
}

func (g *gateway) auditProof(ctx *gin.Context) {
	from := intParam(ctx, "from", -1)
	p, err := g.b.AuditProof(ctx, request(ctx), ctx.Query("id"), from)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, p)
}

func (g *gateway) auditVerify(ctx *gin.Context) {
	rep, err := g.b.AuditVerify(ctx, request(ctx), intParam(ctx, "since", 0))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, rep)
}

func (g *gateway) auditExport(ctx *gin.Context) {
	from := intParam(ctx, "from", 0)
	limit := intParam(ctx, "limit", broker.DefaultLimit)
	size := intParam(ctx, "size", 0)
	proofs := ctx.DefaultQuery("proofs", "true") != "false"
	x, err := g.b.AuditExport(ctx, request(ctx), from, int(min(limit, 1<<20)), size, proofs)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, x)
}

func (g *gateway) auditReport(ctx *gin.Context) {
	q, err := auditQuery(ctx)
	if err != nil {
		request(ctx).Refuse = err
	}
	page, err := g.b.AuditReport(ctx, request(ctx), q)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}

// auditReportByIdentity takes the identity age-encrypted, like a lookup;
// cursor, limit, from and to stay in the query.
func (g *gateway) auditReportByIdentity(ctx *gin.Context) {
	q, err := auditQuery(ctx)
	req := g.withBody(ctx, MediaAge, "application/octet-stream", "text/plain")
	if err != nil {
		req.Refuse = err
	}
	g.reply(ctx, http.StatusOK)(g.b.AuditReportByIdentity(ctx, req, q))
}

func (g *gateway) auditAlerts(ctx *gin.Context) {
	req := request(ctx)
	from, err := broker.ParseTime("from", ctx.Query("from"))
	if err != nil {
		req.Refuse = err
	}
	to, err := broker.ParseTime("to", ctx.Query("to"))
	if err != nil {
		req.Refuse = err
	}
	page, err := g.b.AuditAlerts(ctx, req, from, to)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}
