package httpapi

import (
	"context"
	"net/http"
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
	ReportTask(ctx context.Context, req *broker.Request, id, task string) (broker.TaskView, error)
	ReadStats(ctx context.Context, req *broker.Request) (broker.Stats, error)
	SubmitObservation(ctx context.Context, req *broker.Request, ref string) (broker.Receipt, error)
	Lookup(ctx context.Context, req *broker.Request) (broker.LookupAnswer, error)
}

func (g *gateway) dossierRoutes(e *gin.Engine) {
	e.GET("/v1/cases", g.listCases)
	e.GET("/v1/cases/:id", g.caseCall(http.StatusOK, false, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ReadCase(ctx, req, ctx.Param("id"))
	}))
	e.POST("/v1/cases/:id/transitions", g.caseCall(http.StatusOK, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.Transition(ctx, req, ctx.Param("id"))
	}))
	e.POST("/v1/cases/:id/signals", g.caseCall(http.StatusOK, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.TakeSignals(ctx, req, ctx.Param("id"))
	}))
	e.PUT("/v1/cases/:id/priority", g.caseCall(http.StatusOK, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.SetPriority(ctx, req, ctx.Param("id"))
	}))
	e.POST("/v1/cases/:id/tasks", g.caseCall(http.StatusCreated, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.AssignTask(ctx, req, ctx.Param("id"))
	}))
	e.GET("/v1/tasks/mine", g.myTasks)
	e.PATCH("/v1/cases/:id/tasks/:task", g.caseCall(http.StatusOK, true, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ReportTask(ctx, req, ctx.Param("id"), ctx.Param("task"))
	}))
	e.GET("/v1/stats", g.caseCall(http.StatusOK, false, func(ctx *gin.Context, req *broker.Request) (any, error) {
		return g.b.ReadStats(ctx, req)
	}))
	e.POST("/v1/subjects/:ref/observations", func(ctx *gin.Context) {
		req := g.withBody(ctx, MediaAge, "application/octet-stream", "text/plain")
		rc, err := g.b.SubmitObservation(ctx, req, ctx.Param("ref"))
		g.reply(ctx, receiptStatus(rc))(rc, err)
	})
	e.POST("/v1/subjects/lookup", func(ctx *gin.Context) {
		req := g.withBody(ctx, MediaAge, "application/octet-stream", "text/plain")
		g.reply(ctx, http.StatusOK)(g.b.Lookup(ctx, req))
	})
}

// caseCall is a handler that gives the pipeline the request (with a JSON
// body when body is set) and answers with status.
func (g *gateway) caseCall(status int, body bool, call func(*gin.Context, *broker.Request) (any, error)) gin.HandlerFunc {
	return func(ctx *gin.Context) {
		req := request(ctx)
		if body {
			req = g.withBody(ctx, MediaJSON)
		}
		v, err := call(ctx, req)
		if err != nil {
			g.problem(ctx, err)
			return
		}
		g.answer(ctx, status, v)
	}
}

// reply answers v or the error.
func (g *gateway) reply(ctx *gin.Context, status int) func(v any, err error) {
	return func(v any, err error) {
		if err != nil {
			g.problem(ctx, err)
			return
		}
		g.answer(ctx, status, v)
	}
}

func (g *gateway) listCases(ctx *gin.Context) {
	req := request(ctx)
	limit := 0
	if l := ctx.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > broker.MaxLimit {
			req.Refuse = broker.Invalid("limit", "must be from 1 to %d", broker.MaxLimit)
		}
		limit = n
	}
	page, err := g.b.ListCases(ctx, req, ctx.Query("cursor"), limit)
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}

// myTasks answers GET /v1/tasks/mine (broker/tasks_mine.go); the pipeline
// checks the query after the decision.
func (g *gateway) myTasks(ctx *gin.Context) {
	page, err := g.b.MyTasks(ctx, request(ctx), ctx.Query("cursor"), ctx.Query("limit"))
	if err != nil {
		g.problem(ctx, err)
		return
	}
	g.answer(ctx, http.StatusOK, page)
}
