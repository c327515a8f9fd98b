package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// handler is the one shape of every endpoint of this package (see the
// package doc): it reads what the request carries (path, query, and the
// body through withBody), calls the pipeline once, and returns the status
// and value to answer, or the error to answer instead. It writes nothing to
// ctx itself: handle does, in one place.
type handler func(ctx *gin.Context, req *broker.Request) (status int, v any, err error)

// rawJSON is an answer already encoded as JSON (the card's hand-written
// encoder, the OpenAPI document); it is written, or sealed, as is.
type rawJSON []byte

// plainText is an answer in text/plain (the signed checkpoint note); it is
// never sealed.
type plainText []byte

// octets is an answer in application/octet-stream (a tile of the audit
// log) with its Cache-Control; it is never sealed.
type octets struct {
	data  []byte
	cache string
}

// handle turns h into a Gin handler: an error becomes problem+json
// (problem.go), a nil value a body-less answer (204), anything else JSON,
// encrypted to the actor when it asked so.
func (g *gateway) handle(h handler) gin.HandlerFunc {
	return func(ctx *gin.Context) {
		req := request(ctx)
		status, v, err := h(ctx, req)
		if err != nil {
			g.problem(ctx, err)
			return
		}
		switch v := v.(type) {
		case nil:
			ctx.Header(HeaderAuditID, req.AuditID)
			ctx.Status(status)
		case plainText:
			ctx.Header(HeaderAuditID, req.AuditID)
			ctx.Data(status, "text/plain; charset=utf-8", v)
		case octets:
			ctx.Header(HeaderAuditID, req.AuditID)
			ctx.Header("Cache-Control", v.cache)
			ctx.Data(status, "application/octet-stream", v.data)
		case rawJSON:
			g.answerJSON(ctx, status, v, nil)
		default:
			body, err := json.Marshal(v)
			g.answerJSON(ctx, status, body, err)
		}
	}
}

// withBody lets the pipeline read the body of req, bounded and of one of
// the media types want, once it has authenticated the request.
func (g *gateway) withBody(ctx *gin.Context, req *broker.Request, want ...string) *broker.Request {
	req.Body = func() ([]byte, error) { return g.readBody(ctx, want...) }
	return req
}

// Media types of an age-encrypted body: age's own, and the two a plain
// client sends it as.
var ageBody = []string{MediaAge, "application/octet-stream", "text/plain"}

// ok is the answer of a read: 200 with v, or err.
func ok(v any, err error) (int, any, error) { return http.StatusOK, v, err }

// created is the answer of a creation: 201 with v, or err.
func created(v any, err error) (int, any, error) { return http.StatusCreated, v, err }

// done is the answer of a deletion: 204 without a body, or err.
func done(err error) (int, any, error) { return http.StatusNoContent, nil, err }
