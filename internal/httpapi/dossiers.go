package httpapi

import (
	"context"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// dossierBroker is what the dossier, aggregate, observation and lookup
// endpoints need of the pipeline.
type dossierBroker interface {
	ListCases(ctx context.Context, req *broker.Request, cursor string, limit int) (broker.CasePage, error)
	ReadCase(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	Transition(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	TakeSignals(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	SetPriority(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	AssignTask(ctx context.Context, req *broker.Request, id string) (broker.CaseView, error)
	MyTasks(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MyTaskPage, error)
	ReportTask(ctx context.Context, req *broker.Request, id, task string) (broker.TaskView, error)
	ReadStats(ctx context.Context, req *broker.Request) (broker.Stats, error)
	SubmitObservation(ctx context.Context, req *broker.Request, ref string) (broker.Receipt, error)
	Lookup(ctx context.Context, req *broker.Request) (broker.LookupAnswer, error)
}

func (g *gateway) dossierRoutes(e *gin.Engine) {
	e.GET("/v1/cases", g.handle(g.listCases))
	e.GET("/v1/cases/:id", g.handle(g.readCase))
	e.POST("/v1/cases/:id/transitions", g.handle(g.transition))
	e.POST("/v1/cases/:id/signals", g.handle(g.takeSignals))
	e.PUT("/v1/cases/:id/priority", g.handle(g.setPriority))
	e.POST("/v1/cases/:id/tasks", g.handle(g.assignTask))
	e.GET("/v1/tasks/mine", g.handle(g.myTasks))
	e.PATCH("/v1/cases/:id/tasks/:task", g.handle(g.reportTask))
	e.GET("/v1/stats", g.handle(g.readStats))
	e.POST("/v1/subjects/:ref/observations", g.handle(g.submitObservation))
	e.POST("/v1/subjects/lookup", g.handle(g.lookup))
}

// listCases answers GET /v1/cases; a malformed limit is refused by the
// pipeline, audited.
func (g *gateway) listCases(ctx *gin.Context, req *broker.Request) (int, any, error) {
	limit := 0
	if l := ctx.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > broker.MaxLimit {
			req.Refuse = broker.Invalid("limit", "must be from 1 to %d", broker.MaxLimit)
		}
		limit = n
	}
	return ok(g.b.ListCases(ctx, req, ctx.Query("cursor"), limit))
}

func (g *gateway) readCase(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ReadCase(ctx, req, ctx.Param("id")))
}

func (g *gateway) transition(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.Transition(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

func (g *gateway) takeSignals(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.TakeSignals(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

func (g *gateway) setPriority(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.SetPriority(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

func (g *gateway) assignTask(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return created(g.b.AssignTask(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id")))
}

// myTasks answers GET /v1/tasks/mine (broker/tasks_mine.go); the pipeline checks the query after
// the decision.
func (g *gateway) myTasks(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.MyTasks(ctx, req, ctx.Query("cursor"), ctx.Query("limit")))
}

func (g *gateway) reportTask(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ReportTask(ctx, g.withBody(ctx, req, MediaJSON), ctx.Param("id"), ctx.Param("task")))
}

func (g *gateway) readStats(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.ReadStats(ctx, req))
}

func (g *gateway) submitObservation(ctx *gin.Context, req *broker.Request) (int, any, error) {
	rc, err := g.b.SubmitObservation(ctx, g.withBody(ctx, req, ageBody...), ctx.Param("ref"))
	return receiptStatus(rc), rc, err
}

func (g *gateway) lookup(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return ok(g.b.Lookup(ctx, g.withBody(ctx, req, ageBody...)))
}
