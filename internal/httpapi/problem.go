package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/livc/livc-broker/broker"
)

// problemKinds is the one place where the broker's error vocabulary meets
// HTTP: each kind has one status and one problem type.
var problemKinds = map[broker.Kind]struct {
	status int
	slug   string
}{
	broker.KindInternal:         {http.StatusInternalServerError, "internal"},
	broker.KindBadRequest:       {http.StatusBadRequest, "bad-request"},
	broker.KindUnauthenticated:  {http.StatusUnauthorized, "unauthenticated"},
	broker.KindForbidden:        {http.StatusForbidden, "forbidden"},
	broker.KindNotFound:         {http.StatusNotFound, "not-found"},
	broker.KindMethodNotAllowed: {http.StatusMethodNotAllowed, "method-not-allowed"},
	broker.KindNotAcceptable:    {http.StatusNotAcceptable, "not-acceptable"},
	broker.KindConflict:         {http.StatusConflict, "conflict"},
	broker.KindTooLarge:         {http.StatusRequestEntityTooLarge, "too-large"},
	broker.KindUnsupportedMedia: {http.StatusUnsupportedMediaType, "unsupported-media-type"},
	broker.KindInvalid:          {http.StatusUnprocessableEntity, "invalid"},
	broker.KindRateLimited:      {http.StatusTooManyRequests, "rate-limited"},
	broker.KindUnavailable:      {http.StatusServiceUnavailable, "unavailable"},
}

// Problem is an RFC 9457 problem document. It never holds a value, a token,
// a key, a stack or any internal detail.
type Problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	RequestID  string `json:"request_id"`
	Field      string `json:"field,omitempty"`
	AuditID    string `json:"audit_id,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// ProblemTypeBase prefixes every problem type.
const ProblemTypeBase = "urn:livc-broker:problem:"

// problemFor maps err to its problem document.
func problemFor(err error, requestID, auditID string) Problem {
	var e *broker.Error
	if !errors.As(err, &e) {
		e = &broker.Error{Kind: broker.KindInternal}
	}
	k, ok := problemKinds[e.Kind]
	if !ok {
		k = problemKinds[broker.KindInternal]
	}
	detail := e.Detail
	if e.Kind == broker.KindInternal || detail == "" {
		detail = "the broker failed to answer; quote the request id to its operators"
	}
	var retry int
	if e.Kind == broker.KindRateLimited {
		retry = max(1, int(math.Ceil(e.RetryAfter.Seconds())))
	}
	return Problem{
		RetryAfter: retry,
		Type:       ProblemTypeBase + k.slug,
		Title:      http.StatusText(k.status),
		Status:     k.status,
		Detail:     detail,
		RequestID:  requestID,
		Field:      e.Field,
		AuditID:    auditID,
	}
}

func retryAfter(p Problem) string {
	if p.RetryAfter > 0 {
		return strconv.Itoa(p.RetryAfter)
	}
	return ""
}
