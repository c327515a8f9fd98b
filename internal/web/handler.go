package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"slices"

	"github.com/livc/livc-broker/broker"
)

// reqCtx is one request of a signed-in person.
type reqCtx struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	sess    Session
	cell    *broker.Cell
	actor   broker.Actor
	lang    string
	purpose string
	// choices are the purposes the person may choose among on this page
	// (choosing); none on a page of one purpose.
	choices []string
}

// signedIn wraps a page of a signed-in person working under purpose: no
// session sends a GET to the sign-in page and refuses anything else (401);
// a state-changing request without the session's CSRF token is refused
// (403) before anything is read or done.
func (s *Server) signedIn(purpose string, h func(*reqCtx)) http.HandlerFunc {
	return s.guard(purpose, true, h)
}

// scripted is signedIn for a request only a page's script makes (the
// signal's envelope): its CSRF token is taken from X-CSRF-Token alone, so
// that a body posted as a form (a browser without the script) is never
// parsed, nor read at all before the use case refuses its media type.
func (s *Server) scripted(purpose string, h func(*reqCtx)) http.HandlerFunc {
	return s.guard(purpose, false, h)
}

func (s *Server) guard(purpose string, forms bool, h func(*reqCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.c.MaxBody)
		sess, _, ok := s.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
			s.plainError(w, r, http.StatusUnauthorized, "error.unauthenticated")
			return
		}
		x := &reqCtx{s: s, w: w, r: r, sess: sess, lang: s.lang(r), purpose: purpose}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.csrfOK(r, sess, forms) {
			s.plainError(w, r, http.StatusForbidden, "error.csrf")
			return
		}
		cell, ok := s.b.Cell(sess.Livc)
		if ok {
			x.cell = cell
			x.actor, ok = cell.Actor(sess.Actor)
		}
		if !ok {
			// The configuration no longer has the session's cell or
			// actor: the pipeline refuses and audits it as a login, and
			// the session ends.
			req, ctx := x.request(nil)
			_ = s.b.Refuse(ctx, req, "web.session", broker.Errorf(broker.KindUnauthenticated, ""))
			_ = s.endSession(w, r)
			s.plainError(w, r, http.StatusUnauthorized, "error.unauthenticated")
			return
		}
		h(x)
	}
}

// request is a call of the pipeline for this person under the page's
// purpose: the session's principal in its context (Authenticator), body
// the body the use case reads once it has authenticated.
func (x *reqCtx) request(body func() ([]byte, error)) (*broker.Request, context.Context) {
	req := &broker.Request{ID: broker.NewID("req"), Purpose: x.purpose, Client: clientAddr(x.r), Body: body}
	ctx := context.WithValue(x.r.Context(), principalKey{}, x.sess.Principal(x.s.c.Lifetime))
	return req, ctx
}

// jsonBody is a request body the web application writes itself from a
// form: the JSON the API takes, so that the use case checks it the same.
func jsonBody(v any) func() ([]byte, error) {
	return func() ([]byte, error) { return json.Marshal(v) }
}

// view is the page's view for this person.
func (x *reqCtx) view(title string, data any) *view {
	return &view{
		Lang: x.lang, Title: title, Path: x.r.URL.Path, Query: x.r.URL.RawQuery, Signed: true, Sub: x.sess.Sub,
		Actor: x.actor, CellName: x.cell.Name, Coordinator: x.actor.Coordinator,
		Operational: x.cell.SitsAt(x.actor.ID, broker.TableOperational),
		Strategic:   x.cell.SitsAt(x.actor.ID, broker.TableStrategic),
		Purpose:     x.purpose, Purposes: x.choices, CSRF: x.sess.CSRF, DevBanner: x.sess.Dev, Data: data,
	}
}

// redirect sends the browser on after a form (303: the next request is a
// GET, a reload does not post again).
func (x *reqCtx) redirect(path string) { http.Redirect(x.w, x.r, path, http.StatusSeeOther) }

// plainError is an error page for a request without a usable session.
func (s *Server) plainError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := &view{Lang: s.lang(r), Title: "error.title", Path: r.URL.Path, Data: failure{Status: status, Message: msg}}
	s.render(w, status, "error", v)
}

// clientAddr is the peer's address; the zero Addr if unreadable.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// readAge reads a signal's envelope: application/age only, so that nothing
// but ciphertext reaches the server from the form; any other media type is
// 415, audited by the pipeline like the API's refusals.
func (x *reqCtx) readAge() ([]byte, error) {
	if !slices.Contains([]string{"application/age"}, mediaType(x.r)) {
		return nil, broker.Errorf(broker.KindUnsupportedMedia, "Content-Type must be application/age")
	}
	b, err := io.ReadAll(x.r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, broker.Errorf(broker.KindTooLarge, "the body is larger than %d bytes", x.s.c.MaxBody)
	}
	if err != nil {
		return nil, broker.Wrap(broker.KindBadRequest, err, "the body could not be read")
	}
	return b, nil
}

// formRead parses the request's form for a handler that reads PostForm
// directly (a list field): a CSRF token sent in the header leaves the body
// unparsed, and an empty PostForm would send an empty list (a roster
// cleared) instead of a refusal. A body that is not a readable form is
// answered 400 and nothing is done; formRead reports whether to go on.
func (x *reqCtx) formRead() bool {
	if !isForm(x.r) || x.r.ParseForm() != nil {
		x.fail(nil, broker.Errorf(broker.KindBadRequest, "the body must be a form"))
		return false
	}
	return true
}
