package web

import (
	"net/http"
	"slices"

	"github.com/livc/livc-broker/broker"
)

// The coordinator's pages: the intake (take a signal into a new or an
// existing dossier, or dismiss it), the dossiers by state, one dossier with
// its roster and transitions. Every action is one use case of the API's,
// under case_conference.

// intakeRow is a signal of the intake with the open dossiers about its
// person, to take it into one of them.
type intakeRow struct {
	broker.SignalEntry
	Cases []broker.CaseView
}

// intakeData is the intake page.
type intakeData struct {
	State      string
	States     []string
	Rows       []intakeRow
	NextCursor string
	Categories []string
}

// Categories offered for a new dossier; the broker accepts any identifier.
var categories = []string{"radicalisation", "extremism", "terrorism"}

var signalStates = []string{broker.SignalReceived, broker.SignalHeld, "in_dossier", broker.SignalDismissed, broker.SignalWithdrawn}

func (s *Server) intake(x *reqCtx) {
	q := x.r.URL.Query()
	req, ctx := x.request(nil)
	page, err := s.b.ListSignals(ctx, req, q.Get("state"), q.Get("cursor"), "")
	if err != nil {
		x.fail(req, err)
		return
	}
	d := intakeData{State: q.Get("state"), States: signalStates, NextCursor: page.NextCursor, Categories: categories}
	var open []broker.CaseView
	if slices.ContainsFunc(page.Items, func(e broker.SignalEntry) bool { return e.State == broker.SignalReceived }) {
		// The open dossiers, to offer each received signal the ones about
		// its person: one more request, audited as a dossier list.
		creq, cctx := x.request(nil)
		cases, err := s.b.ListCases(cctx, creq, "", broker.MaxLimit)
		if err != nil {
			x.fail(creq, err)
			return
		}
		for _, k := range cases.Items {
			if k.State != broker.StateClosed {
				open = append(open, k)
			}
		}
	}
	for _, e := range page.Items {
		row := intakeRow{SignalEntry: e}
		for _, k := range open {
			if e.State == broker.SignalReceived && k.SubjectRef == e.SubjectRef {
				row.Cases = append(row.Cases, k)
			}
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(x.w, http.StatusOK, "intake", x.view("intake.title", d))
}

// take takes a signal into a new dossier (POST /v1/cases) or into an open
// one about the same person (POST /v1/cases/{id}/signals).
func (s *Server) take(x *reqCtx) {
	id, target := x.r.PathValue("id"), x.r.PostFormValue("case")
	req, ctx := x.request(nil)
	var caseID string
	if target == "" || target == "new" {
		req.Body = jsonBody(broker.CaseRequest{SubjectRef: x.r.PostFormValue("subject_ref"),
			SignalIDs: []string{id}, Category: x.r.PostFormValue("category")})
		k, err := s.b.CreateCase(ctx, req)
		if err != nil {
			x.fail(req, err)
			return
		}
		caseID = k.ID
	} else {
		req.Body = jsonBody(map[string][]string{"signal_ids": {id}})
		k, err := s.b.TakeSignals(ctx, req, target)
		if err != nil {
			x.fail(req, err)
			return
		}
		caseID = k.ID
	}
	x.redirect("/cases/" + caseID)
}

func (s *Server) dismiss(x *reqCtx) {
	req, ctx := x.request(jsonBody(broker.DismissalRequest{Reason: x.r.PostFormValue("reason")}))
	if _, err := s.b.DismissSignal(ctx, req, x.r.PathValue("id")); err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/intake")
}

// caseGroup is the dossiers of one state.
type caseGroup struct {
	State string
	Cases []broker.CaseView
}

// caseStates are the states of a dossier in the order of its lifecycle.
var caseStates = []string{broker.StateRegistration, broker.StateFormation, broker.StateWeighing,
	broker.StateApproach, broker.StateEvaluation, broker.StateClosed}

func (s *Server) cases(x *reqCtx) {
	req, ctx := x.request(nil)
	page, err := s.b.ListCases(ctx, req, x.r.URL.Query().Get("cursor"), 0)
	if err != nil {
		x.fail(req, err)
		return
	}
	var groups []caseGroup
	for _, st := range caseStates {
		g := caseGroup{State: st}
		for _, k := range page.Items {
			if k.State == st {
				g.Cases = append(g.Cases, k)
			}
		}
		groups = append(groups, g)
	}
	s.render(x.w, http.StatusOK, "cases", x.view("cases.title", map[string]any{"Groups": groups, "NextCursor": page.NextCursor}))
}

// dossierData is a dossier's page: the dossier as the person may read it,
// the actors of the operational table for its roster, the moves its state
// allows, its case conferences and, for the coordinator, the form that
// records one (attendees and owners among the roster).
type dossierData struct {
	Case     broker.CaseView
	Roster   []rosterChoice
	Moves    []string
	Outcomes []outcomeGroup
	Meetings []broker.MeetingView
	Members  []broker.Actor
	Form     minutesForm
	MeetErr  *failure
	names    map[string]string
	// Tactical: the person sits at the tactical table, whose priority and
	// task forms the page then shows (the policy decides what they do).
	Tactical bool
}

type rosterChoice struct {
	Actor broker.Actor
	On    bool
}

// Name is the actor's name in the cell, or its id.
func (d dossierData) Name(id string) string {
	if n, ok := d.names[id]; ok {
		return n
	}
	return id
}

func (s *Server) dossier(x *reqCtx) { s.showDossier(x, http.StatusOK, nil, newMinutesForm()) }

// showDossier renders the dossier's page with status; meetErr, when set, is
// the refusal of the minutes' form, shown at the form with what was typed
// (form).
func (s *Server) showDossier(x *reqCtx, status int, meetErr *failure, form minutesForm) {
	req, ctx := x.request(nil)
	k, err := s.b.ReadCase(ctx, req, x.r.PathValue("id"))
	if err != nil {
		x.fail(req, err)
		return
	}
	var meetings []broker.MeetingView
	if x.purpose == broker.PurposeCaseConference {
		// The roster's work (the minutes, its forms) is case_conference's;
		// under prioritisation the page shows the dossier as read.
		var ok bool
		if meetings, ok = s.meetingsOf(x, k.ID); !ok {
			return
		}
	}
	d := dossierData{Case: k, Moves: broker.AllowedMoves(k.State), Outcomes: outcomesFrom(k.State), Meetings: meetings,
		Form: form, MeetErr: meetErr, names: map[string]string{},
		Tactical: x.cell.SitsAt(x.actor.ID, broker.TableTactical)}
	for _, a := range x.cell.Actors {
		d.names[a.ID] = a.Name
	}
	for _, id := range x.cell.Tables[broker.TableOperational] {
		if a, ok := x.cell.Actor(id); ok {
			d.Roster = append(d.Roster, rosterChoice{Actor: a, On: slices.Contains(k.Roster, id)})
		}
	}
	for _, id := range k.Roster {
		if a, ok := x.cell.Actor(id); ok {
			d.Members = append(d.Members, a)
		}
	}
	s.render(x.w, status, "case", x.view("case.title", d))
}

func (s *Server) roster(x *reqCtx) {
	if !x.formRead() {
		return
	}
	actors := x.r.PostForm["actor"]
	if actors == nil {
		actors = []string{}
	}
	req, ctx := x.request(jsonBody(broker.RosterRequest{Actors: actors}))
	k, err := s.b.SetRoster(ctx, req, x.r.PathValue("id"))
	if err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/cases/" + k.ID)
}

func (s *Server) transition(x *reqCtx) {
	req, ctx := x.request(jsonBody(broker.TransitionRequest{To: x.r.PostFormValue("to"),
		Reason: x.r.PostFormValue("reason"), Outcome: x.r.PostFormValue("outcome")}))
	k, err := s.b.Transition(ctx, req, x.r.PathValue("id"))
	if err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/cases/" + k.ID)
}
