package httpapi

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// retentionBroker is what the retention endpoints need of the pipeline
// (broker/retention_list.go).
type retentionBroker interface {
	ListRetention(ctx context.Context, req *broker.Request, days, cursor, limit string) (broker.RetentionPage, error)
	ReviewCase(ctx context.Context, req *broker.Request, id string) (broker.Review, error)
}

// retentionRoutes adds the retention schedule and a closed dossier's review.
func (g *gateway) retentionRoutes(e *gin.Engine) {
	e.GET("/v1/retention", g.handle(g.listRetention))
	e.POST("/v1/cases/:id/review", g.handle(g.reviewCase))
}

// listRetention answers GET /v1/retention; the pipeline checks the query
// after the decision.
func (g *gateway) listRetention(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ListRetention(ctx, req, ctx.Query("days"), ctx.Query("cursor"), ctx.Query("limit")))
}

func (g *gateway) reviewCase(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ReviewCase(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}
