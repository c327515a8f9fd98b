package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// Deliberate sharing of a record with a dossier (broker/signals_share.go), and the
// correction of a signal by its submitter (broker/signals_correct.go).

// shareBroker is what the sharing and correcting routes need of the pipeline.
type shareBroker interface {
	ShareSignal(ctx context.Context, req *broker.Request, id string) (broker.ShareReceipt, error)
	CorrectSignal(ctx context.Context, req *broker.Request, id string) (broker.Receipt, error)
}

func (g *gateway) shareRoutes(e *gin.Engine) {
	e.POST("/v1/signals/:id/shares", g.handle(g.shareSignal))
	e.POST("/v1/signals/:id/correction", g.handle(g.correctSignal))
}

// correctSignal answers POST /v1/signals/{id}/correction: 201 with the new
// signal's id (200 for an envelope its submitter sent before).
func (g *gateway) correctSignal(ctx *gin.Context, req *broker.Request) (int, any, error) {
	rc, err := g.b.CorrectSignal(ctx, g.withBody(ctx, req, ageBody...), ctx.Param("id"))
	return receiptStatus(rc), rc, err
}

// shareSignal answers POST /v1/signals/{id}/shares: 201 when the record is
// shared with the dossier from now on, 200 when it was before.
func (g *gateway) shareSignal(ctx *gin.Context, req *broker.Request) (int, any, error) {
	rc, err := g.b.ShareSignal(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id"))
	if err == nil && rc.New {
		return http.StatusCreated, rc, nil
	}
	return ok(rc, err)
}
