package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// eraseSubject answers DELETE /v1/subjects/{ref}: 204 once the person is
// crypto-shredded.
func (g *gateway) eraseSubject(ctx *gin.Context, req *broker.Request) (int, any, error) {
	return done(g.b.EraseSubject(ctx, req, ctx.Param("ref")))
}
