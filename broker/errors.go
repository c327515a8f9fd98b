package broker

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the one error vocabulary of the broker. Each kind maps to exactly
// one HTTP status, in internal/httpapi and nowhere else.
type Kind int

// The kinds of error. The zero value is KindInternal so that an error nobody
// classified is never mistaken for a client mistake.
const (
	KindInternal         Kind = iota // 500: a bug; details stay in the log
	KindBadRequest                   // 400: malformed request
	KindUnauthenticated              // 401: missing or bad token
	KindForbidden                    // 403: purpose missing, unknown or not the actor's
	KindNotFound                     // 404: nothing the requester may see, or no such thing
	KindMethodNotAllowed             // 405
	KindNotAcceptable                // 406: Accept cannot be honoured
	KindConflict                     // 409: state does not allow it
	KindTooLarge                     // 413: body over the limit
	KindUnsupportedMedia             // 415: wrong Content-Type
	KindInvalid                      // 422: well-formed but refused content
	KindRateLimited                  // 429
	KindUnavailable                  // 503: store, audit or policy not available
)

// Error is an error of the vocabulary. Detail is shown to the client and so
// never holds a value, a token, a key or internal state; Err is the cause,
// for the log only.
type Error struct {
	Kind   Kind
	Detail string
	Field  string // the offending field, for KindInvalid
	// RetryAfter tells the client when to try again, for KindRateLimited.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Detail, e.Err)
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error of kind with a client-safe detail.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error of kind with a client-safe detail and a cause that is
// only logged.
func Wrap(kind Kind, cause error, detail string) *Error {
	return &Error{Kind: kind, Detail: detail, Err: cause}
}

// Invalid returns a KindInvalid error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err; an error outside the vocabulary is internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrNotFound is returned by stores for a missing item.
var ErrNotFound = errors.New("not found")

// ErrNotFoundForRequester is the one answer for a person or dossier the
// requester may see nothing of, whatever the reason: refusals never tell
// whether the broker knows a person.
var ErrNotFoundForRequester = &Error{Kind: KindNotFound, Detail: "no such subject or case for this requester and purpose"}
