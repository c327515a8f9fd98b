package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

func (g *gateway) submitSignal(ctx *gin.Context, req *broker.Request) (int, any, error) {
	rc, err := g.b.SubmitSignal(ctx, g.withBody(ctx, req, ageBody...))
	return receiptStatus(rc), rc, err
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
func (g *gateway) listSignals(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ListSignals(ctx, req, ctx.Query("state"), ctx.Query("cursor"), ctx.Query("limit")))
}

// readCard answers the card through its hand-written encoder (cardjson.go).
func (g *gateway) readCard(ctx *gin.Context, req *broker.Request) (int, any, error) {
	card, err := g.b.ReadCard(ctx, req, ctx.Param("ref"))
	if err != nil {
		return 0, nil, err
	}
	body, err := appendCard(make([]byte, 0, 2048), card)
	if err != nil {
		return 0, nil, broker.Wrap(broker.KindInternal, err, "")
	}
	return http.StatusOK, rawJSON(body), nil
}

func (g *gateway) createCase(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return created(g.b.CreateCase(ctx, g.withBody(ctx, req, MediaJSON)))
}

func (g *gateway) setRoster(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.SetRoster(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

// listAudit answers GET /v1/audit; a malformed query is refused by the
// pipeline, audited.
func (g *gateway) listAudit(ctx *gin.Context, req *broker.Request) (int, any, error) {
	q, err := auditQuery(ctx)
	if err != nil {
		req.Refuse = err
	}
	return ok(g.b.ListAudit(ctx, req, q))
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
