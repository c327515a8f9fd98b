package httpapi

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// refuse answers a request no route takes (unknown path, or a method the
// path does not have) with err.
//
// Every request is audited, but an unauthenticated flood must cost no more
// than a cheap append. Under /v1 (the API, where a client brings a token)
// the refusal goes through the pipeline: the token is checked and the
// refusal audited (as auth.fail without a valid token, as request.refuse
// with one), like a refusal on any known endpoint, at the same cost. Outside
// /v1 (probes, favicons, scanners) nothing personal can be asked, so the
// refusal is only logged and counted, not audited.
func (g *gateway) refuse(ctx *gin.Context, err error) {
	if p := ctx.Request.URL.Path; p == "/v1" || strings.HasPrefix(p, "/v1/") {
		err = g.b.Refuse(ctx, request(ctx), broker.ActionRequestRefuse, err)
	}
	g.problem(ctx, err)
}
