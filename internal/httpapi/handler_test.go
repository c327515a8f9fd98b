package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// handle is the one place an endpoint's answer is written: each kind of
// value a handler may return is answered as the package doc says.
func TestHandle(t *testing.T) {
	tests := []struct {
		name   string
		seal   bool // the pipeline set SealTo (the actor asked for age)
		h      handler
		status int
		media  string
		body   string
	}{
		{name: "a value is JSON", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return ok(map[string]int{"n": 1}, nil)
		}, status: 200, media: MediaJSON, body: `{"n":1}`},
		{name: "created", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return created([]string{"a"}, nil)
		}, status: 201, media: MediaJSON, body: `["a"]`},
		{name: "a value is sealed when asked", seal: true, h: func(*gin.Context, *broker.Request) (int, any, error) {
			return ok(map[string]int{"n": 1}, nil)
		}, status: 200, media: MediaAge, body: "sealed"},
		{name: "raw JSON is written as is", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return http.StatusOK, rawJSON(`{"raw": true}`), nil
		}, status: 200, media: MediaJSON, body: `{"raw": true}`},
		{name: "raw JSON is sealed when asked", seal: true, h: func(*gin.Context, *broker.Request) (int, any, error) {
			return http.StatusOK, rawJSON(`{"raw": true}`), nil
		}, status: 200, media: MediaAge, body: "sealed"},
		{name: "plain text is never sealed", seal: true, h: func(*gin.Context, *broker.Request) (int, any, error) {
			return http.StatusOK, plainText("note\n"), nil
		}, status: 200, media: "text/plain; charset=utf-8", body: "note\n"},
		{name: "no value is 204 without a body", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return done(nil)
		}, status: 204, body: ""},
		{name: "an error is problem+json, whatever the value", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return http.StatusOK, map[string]string{"secret": "x"}, broker.Errorf(broker.KindNotFound, "")
		}, status: 404, media: MediaProblem},
		{name: "an error of a deletion", h: func(*gin.Context, *broker.Request) (int, any, error) {
			return done(broker.Errorf(broker.KindForbidden, ""))
		}, status: 403, media: MediaProblem},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &gateway{b: &stubBroker{}, c: Conf{MaxBody: 1024, Logger: quiet}}
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			e.Use(g.boundary)
			e.GET("/x", g.handle(func(ctx *gin.Context, req *broker.Request) (int, any, error) {
				req.AuditID = "aud_1" // as the pipeline does once the entry is in the log
				if tc.seal {
					req.SealTo = []string{"age1x"}
				}
				return tc.h(ctx, req)
			}))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.media {
				t.Fatalf("got %d %q, want %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), tc.status, tc.media, rec.Body)
			}
			if tc.media != MediaProblem && rec.Body.String() != tc.body {
				t.Errorf("body %q, want %q", rec.Body, tc.body)
			}
			if got := rec.Header().Get(HeaderAuditID); got != "aud_1" {
				t.Errorf("X-Audit-Id %q, want the request's audit id", got)
			}
		})
	}
}
