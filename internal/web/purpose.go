package web

import (
	"net/http"
	"slices"

	"github.com/livc/livc-broker/broker"
)

// The purpose a page works under is chosen by its context; a page whose
// action may be taken under more than one purpose (a dossier and the
// dossier list: case_conference or prioritisation) lets the person choose
// among those their actor may use, in the page's header (?purpose=).

// choosing wraps a page of a signed-in person that may work under any of
// purposes. ?purpose= names the one chosen: one outside purposes is refused
// (400) before any request is made; one the actor may not use goes to the
// pipeline, which refuses and audits it as the API would (403). Without a
// choice the page works under the first of purposes the actor may use.
func (s *Server) choosing(purposes []string, h func(*reqCtx)) http.HandlerFunc {
	return s.signedIn(purposes[0], func(x *reqCtx) {
		x.choices = usablePurposes(x.cell, x.actor.ID, purposes)
		switch p := x.r.URL.Query().Get("purpose"); {
		case p != "" && !slices.Contains(purposes, p):
			s.plainError(x.w, x.r, http.StatusBadRequest, "error.bad_request")
			return
		case p != "":
			x.purpose = p
		case len(x.choices) > 0:
			x.purpose = x.choices[0]
		}
		h(x)
	})
}

// usablePurposes are those of purposes that actor id may use in cell: a
// purpose of no table any actor's, one of a table the actors' at it. The
// policy decides again on every request; this only chooses what to offer.
func usablePurposes(cell *broker.Cell, id string, purposes []string) []string {
	var out []string
	for _, p := range purposes {
		pp, ok := cell.Purposes[p]
		if ok && (pp.Table == "" || cell.SitsAt(id, pp.Table)) {
			out = append(out, p)
		}
	}
	return out
}

// PurposeQuery is "?purpose=P" for a link from a page with a choice of
// purpose to another with the same choice, so that the purpose chosen
// stays; "" on a page without a choice.
func (v *view) PurposeQuery() string {
	if len(v.Purposes) < 2 {
		return ""
	}
	return "?purpose=" + v.Purpose
}
