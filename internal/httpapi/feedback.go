package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// The signaller's feedback: its signals, a withdrawal; the coordinator's
// dismissal (broker/signals_feedback.go).

func (g *gateway) feedbackRoutes(e *gin.Engine) {
	e.GET("/v1/signals/mine", g.mySignals)
	e.DELETE("/v1/signals/:id", g.withdrawSignal)
	e.POST("/v1/signals/:id/dismissal", g.dismissSignal)
}

// mySignals answers GET /v1/signals/mine; the pipeline checks the query
// after the decision.
func (g *gateway) mySignals(ctx *gin.Context) {
	page, err := g.b.MySignals(ctx, request(ctx), ctx.Query("cursor"), ctx.Query("limit"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}

func (g *gateway) dismissSignal(ctx *gin.Context) {
	d, err := g.b.DismissSignal(ctx, g.withBody(ctx, MediaJSON), ctx.Param("id"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, d)
}

// withdrawSignal answers DELETE /v1/signals/{id}: 204 once the signal's
// record is crypto-shredded.
func (g *gateway) withdrawSignal(ctx *gin.Context) {
	req := request(ctx)
	if err := g.b.WithdrawSignal(ctx, req, ctx.Param("id")); err != nil {
		g.problem(ctx, err)
		return
	}
	ctx.Header(HeaderAuditID, req.AuditID)
	ctx.Status(http.StatusNoContent)
}
