package httpapi

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// meetingBroker is what the case conference endpoints need of the
// pipeline (broker/cases_meetings.go).
type meetingBroker interface {
	RecordMeeting(ctx context.Context, req *broker.Request, id string) (broker.MeetingView, error)
	ListMeetings(ctx context.Context, req *broker.Request, id, cursor, limit string) (broker.MeetingPage, error)
}

// meetingRoutes adds the case conferences of a dossier.
func (g *gateway) meetingRoutes(e *gin.Engine) {
	e.POST("/v1/cases/:id/meetings", g.handle(g.recordMeeting))
	e.GET("/v1/cases/:id/meetings", g.handle(g.listMeetings))
}

func (g *gateway) recordMeeting(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return created(g.b.RecordMeeting(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

// listMeetings answers GET /v1/cases/{id}/meetings; the pipeline checks the
// query after the decision.
func (g *gateway) listMeetings(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ListMeetings(ctx, req, ctx.Param("id"), ctx.Query("cursor"), ctx.Query("limit")))
}
