package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/livc/livc-broker/broker"
)

// devActor is one choice of the development sign-in.
type devActor struct {
	Livc, CellName string
	Actor          broker.Actor
}

// devPage lists every actor of every cell this broker serves, under the
// [INSECURE] banner: in development anyone may act as anyone.
func (s *Server) devPage(w http.ResponseWriter, r *http.Request) {
	var actors []devActor
	for _, id := range s.b.CellIDs() {
		c, ok := s.b.Cell(id)
		if !ok {
			continue
		}
		ids := make([]string, 0, len(c.Actors))
		for a := range c.Actors {
			ids = append(ids, a)
		}
		slices.Sort(ids)
		for _, a := range ids {
			actors = append(actors, devActor{Livc: id, CellName: c.Name, Actor: c.Actors[a]})
		}
	}
	v := &view{Lang: s.lang(r), Title: "dev.title", Path: r.URL.Path, DevBanner: true,
		CSRF: s.preToken(w, r), Data: actors}
	s.render(w, http.StatusOK, "dev", v)
}

// devSignIn opens a session as the chosen actor, its sub "dev-ACTOR": the
// audit log shows that no person signed in.
func (s *Server) devSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if !s.preOK(r) {
		s.plainError(w, r, http.StatusForbidden, "error.csrf")
		return
	}
	livc, actor, _ := strings.Cut(r.PostFormValue("who"), "/")
	s.open(w, r, Session{Sub: "dev-" + actor, Livc: livc, Actor: actor, Dev: true})
}
