package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// retentionBroker is what GET /v1/retention needs of the pipeline
// (broker/retention.go).
type retentionBroker interface {
	ListRetention(ctx context.Context, req *broker.Request, days, cursor, limit string) (broker.RetentionPage, error)
	ReviewCase(ctx context.Context, req *broker.Request, id string) (broker.Review, error)
}

// retentionRoutes adds the retention schedule. The pipeline checks the
// query after the decision.
func (g *gateway) retentionRoutes(e *gin.Engine) {
	e.GET("/v1/retention", g.caseCall(http.StatusOK, false, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ListRetention(ctx, req, ctx.Query("days"), ctx.Query("cursor"), ctx.Query("limit"))
	}))
	e.POST("/v1/cases/:id/review", g.caseCall(http.StatusOK, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ReviewCase(ctx, req, ctx.Param("id"))
	}))
}
