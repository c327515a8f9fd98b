package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/livc/livc-broker/broker"
)

// failure is how a broker error shows to a person: the status of the page
// and the message that explains it. This table is the one place the web
// application maps the broker's error vocabulary; like the API it tells
// nothing a refusal should not (a 404 is the same for what does not exist
// and what one may not see).
type failure struct {
	Status  int
	Message string // message id
	Field   string // the refused field, for a 422
	AuditID string // the audit entry to quote to the privacy officer
}

var failures = map[broker.Kind]failure{
	broker.KindInternal:         {http.StatusInternalServerError, "error.internal", "", ""},
	broker.KindBadRequest:       {http.StatusBadRequest, "error.bad_request", "", ""},
	broker.KindUnauthenticated:  {http.StatusUnauthorized, "error.unauthenticated", "", ""},
	broker.KindForbidden:        {http.StatusForbidden, "error.forbidden", "", ""},
	broker.KindNotFound:         {http.StatusNotFound, "error.not_found", "", ""},
	broker.KindMethodNotAllowed: {http.StatusMethodNotAllowed, "error.bad_request", "", ""},
	broker.KindNotAcceptable:    {http.StatusNotAcceptable, "error.bad_request", "", ""},
	broker.KindConflict:         {http.StatusConflict, "error.conflict", "", ""},
	broker.KindTooLarge:         {http.StatusRequestEntityTooLarge, "error.too_large", "", ""},
	broker.KindUnsupportedMedia: {http.StatusUnsupportedMediaType, "error.unsupported_media", "", ""},
	broker.KindInvalid:          {http.StatusUnprocessableEntity, "error.invalid", "", ""},
	broker.KindRateLimited:      {http.StatusTooManyRequests, "error.rate_limited", "", ""},
	broker.KindUnavailable:      {http.StatusServiceUnavailable, "error.unavailable", "", ""},
}

// failureOf maps err, the answer of a use case to req, to its failure.
func failureOf(err error, req *broker.Request) failure {
	f, ok := failures[broker.KindOf(err)]
	if !ok {
		f = failures[broker.KindInternal]
	}
	var be *broker.Error
	if errors.As(err, &be) && be.Kind == broker.KindInvalid {
		f.Field = be.Field
	}
	if req != nil {
		f.AuditID = req.AuditID
	}
	return f
}

// fail answers err as an error page (a 5xx is logged by route pattern, never
// the path: /subjects/{ref}/card would put a subject reference in the log);
// a 401 (the session's actor left the
// cell's configuration, say) also ends the session.
func (x *reqCtx) fail(req *broker.Request, err error) {
	f := failureOf(err, req)
	if f.Status >= 500 {
		x.s.c.Logger.Error("web request failed", "route", x.r.Pattern, "err", err)
	}
	if f.Status == http.StatusUnauthorized {
		_ = x.s.endSession(x.w, x.r)
	}
	v := x.view("error.title", f)
	x.s.render(x.w, f.Status, "error", v)
}

// failJSON answers err to a script (the signal form) as problem+json, its
// title in the person's language.
func (x *reqCtx) failJSON(req *broker.Request, err error) {
	f := failureOf(err, req)
	if f.Status >= 500 {
		x.s.c.Logger.Error("web request failed", "route", x.r.Pattern, "err", err)
	}
	body, _ := json.Marshal(map[string]any{
		"status": f.Status, "title": x.s.tr.text(x.lang, f.Message, "Field", f.Field),
		"field": f.Field, "audit_id": f.AuditID,
	})
	x.w.Header().Set("Content-Type", "application/problem+json")
	x.w.WriteHeader(f.Status)
	x.w.Write(body)
}
