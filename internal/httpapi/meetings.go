package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// meetingBroker is what the case conference endpoints need of the
// pipeline (broker/meetings.go).
type meetingBroker interface {
	RecordMeeting(ctx context.Context, req *broker.Request, id string) (broker.MeetingView, error)
	ListMeetings(ctx context.Context, req *broker.Request, id, cursor, limit string) (broker.MeetingPage, error)
}

// meetingRoutes adds the case conferences of a dossier. The pipeline
// checks the query after the decision.
func (g *gateway) meetingRoutes(e *gin.Engine) {
	e.POST("/v1/cases/:id/meetings", g.caseCall(http.StatusCreated, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.RecordMeeting(ctx, req, ctx.Param("id"))
	}))
	e.GET("/v1/cases/:id/meetings", g.caseCall(http.StatusOK, false, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ListMeetings(ctx, req, ctx.Param("id"), ctx.Query("cursor"), ctx.Query("limit"))
	}))
}
