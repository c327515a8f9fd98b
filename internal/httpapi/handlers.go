package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// withBody lets the pipeline read the body, bounded and of one of the media
// types want, once it has authenticated the request.
func (g *gateway) withBody(ctx *gin.Context, want ...string) *broker.Request {
	req := request(ctx)
	req.Body = func() ([]byte, error) { return g.readBody(ctx, want...) }
	return req
}

func (g *gateway) submitSignal(ctx *gin.Context) {
	req := g.withBody(ctx, MediaAge, "application/octet-stream", "text/plain")
	rc, err := g.b.SubmitSignal(ctx, req)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, receiptStatus(rc), rc)
}

// receiptStatus is 201 for a record just made, 200 for the record an
// envelope sent again by its submitter made before.
func receiptStatus(rc broker.Receipt) int {
	if rc.Repeat {
		return http.StatusOK
	}
	return http.StatusCreated
}

// listSignals answers the coordinator's intake; the pipeline checks the
// query after the decision.
func (g *gateway) listSignals(ctx *gin.Context) {
	page, err := g.b.ListSignals(ctx, request(ctx), ctx.Query("state"), ctx.Query("cursor"), ctx.Query("limit"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}

func (g *gateway) readCard(ctx *gin.Context) {
	card, err := g.b.ReadCard(ctx, request(ctx), ctx.Param("ref"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	body, err := appendCard(make([]byte, 0, 2048), card)
	g.answerJSON(ctx, http.StatusOK, body, err)
}

func (g *gateway) createCase(ctx *gin.Context) {
	k, err := g.b.CreateCase(ctx, g.withBody(ctx, MediaJSON))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusCreated, k)
}

func (g *gateway) setRoster(ctx *gin.Context) {
	k, err := g.b.SetRoster(ctx, g.withBody(ctx, MediaJSON), ctx.Param("id"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, k)
}

func (g *gateway) listAudit(ctx *gin.Context) {
	q, err := auditQuery(ctx)
	if err != nil {
		request(ctx).Refuse = err // refused by the pipeline, audited
	}
	page, err := g.b.ListAudit(ctx, request(ctx), q)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}

// auditQuery reads the filters of GET /v1/audit.
func auditQuery(ctx *gin.Context) (broker.AuditQuery, error) {
	q := broker.AuditQuery{
		Actor:      ctx.Query("actor"),
		Sub:        ctx.Query("sub"),
		SubjectRef: ctx.Query("subject_ref"),
		CaseID:     ctx.Query("case_id"),
		Action:     ctx.Query("action"),
		Decision:   ctx.Query("decision"),
		Cursor:     ctx.Query("cursor"),
	}
	var err error
	if q.From, err = broker.ParseTime("from", ctx.Query("from")); err != nil {
		return q, err
	}
	if q.To, err = broker.ParseTime("to", ctx.Query("to")); err != nil {
		return q, err
	}
	switch ctx.DefaultQuery("log", "cell") {
	case "cell":
	case "broker":
		q.BrokerLog = true
	default:
		return q, broker.Invalid("log", "must be cell or broker")
	}
	switch ctx.DefaultQuery("order", "asc") {
	case "asc":
	case "desc":
		q.Descending = true
	default:
		return q, broker.Invalid("order", "must be asc or desc")
	}
	if l := ctx.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > broker.MaxLimit {
			return q, broker.Invalid("limit", "must be from 1 to %d", broker.MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}
