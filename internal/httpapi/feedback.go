package httpapi

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// The signaller's feedback: its signals, a withdrawal; the coordinator's
// dismissal (broker/signals_feedback.go).

// feedbackBroker is what the signaller's feedback and the coordinator's
// dismissal need of the pipeline.
type feedbackBroker interface {
	MySignals(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MySignalPage, error)
	DismissSignal(ctx context.Context, req *broker.Request, id string) (broker.Dismissal, error)
	WithdrawSignal(ctx context.Context, req *broker.Request, id string) error
}

func (g *gateway) feedbackRoutes(e *gin.Engine) {
	e.GET("/v1/signals/mine", g.handle(g.mySignals))
	e.DELETE("/v1/signals/:id", g.handle(g.withdrawSignal))
	e.POST("/v1/signals/:id/dismissal", g.handle(g.dismissSignal))
}

// mySignals answers GET /v1/signals/mine; the pipeline checks the query
// after the decision.
func (g *gateway) mySignals(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.MySignals(ctx, req, ctx.Query("cursor"), ctx.Query("limit")))
}

func (g *gateway) dismissSignal(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.DismissSignal(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

// withdrawSignal answers DELETE /v1/signals/{id}: 204 once the signal's
// record is deleted from the live store.
func (g *gateway) withdrawSignal(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return done(g.b.WithdrawSignal(ctx, req, ctx.Param("id")))
}
