package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// eraseSubject answers DELETE /v1/subjects/{ref}: 204 once the person is
// crypto-shredded.
func (g *gateway) eraseSubject(ctx *gin.Context) {
	req := request(ctx)
	if err := g.b.EraseSubject(ctx, req, ctx.Param("ref")); err != nil {
		g.problem(ctx, err)
		return
	}
	ctx.Header(HeaderAuditID, req.AuditID)
	ctx.Status(http.StatusNoContent)
}
