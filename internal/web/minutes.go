package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
)

// The case conference's minutes on a dossier's page, and what expires soon:
// each action is the API's use case (RecordMeeting, ListMeetings,
// ListRetention, ReviewCase) under case_conference.

// decisionRows is how many decisions the minutes' form offers; a row left
// without text is no decision.
const decisionRows = 3

// meetingsOf is the dossier's case conferences, read by ListMeetings (one
// more request, audited as a read of the minutes).
func (s *Server) meetingsOf(x *reqCtx, caseID string) ([]broker.MeetingView, bool) {
	req, ctx := x.request(nil)
	page, err := s.b.ListMeetings(ctx, req, caseID, "", strconv.Itoa(broker.MaxLimit))
	if err != nil {
		x.fail(req, err)
		return nil, false
	}
	return page.Items, true
}

// recordMeeting records a case conference from the dossier's form: held_at
// as the browser's local date and time (read in Brussels time), attendees
// and each decision's owner among the roster, due dates as YYYY-MM-DD. A
// refused value (422) shows the dossier's page again with the error at the
// form, naming the field.
func (s *Server) recordMeeting(x *reqCtx) {
	if !x.formRead() {
		return
	}
	f := x.r.PostForm
	typed := minutesForm{HeldAt: f.Get("held_at"), Attendees: f["attendee"]}
	in := broker.MeetingRequest{HeldAt: s.localTime(typed.HeldAt), Attendees: typed.Attendees,
		Decisions: []broker.MeetingDecision{}}
	if in.Attendees == nil {
		in.Attendees = []string{}
	}
	for i := range decisionRows {
		n := strconv.Itoa(i)
		d := broker.MeetingDecision{Text: strings.TrimSpace(f.Get("decision_text_" + n)),
			Actor: f.Get("decision_actor_" + n), Due: f.Get("decision_due_" + n)}
		typed.Rows = append(typed.Rows, decisionRow{N: i, MeetingDecision: d})
		if d.Text != "" || d.Due != "" {
			in.Decisions = append(in.Decisions, d)
		}
	}
	req, ctx := x.request(jsonBody(in))
	id := x.r.PathValue("id")
	if _, err := s.b.RecordMeeting(ctx, req, id); err != nil {
		if broker.KindOf(err) == broker.KindInvalid {
			fl := failureOf(err, req)
			s.showDossier(x, http.StatusUnprocessableEntity, &fl, typed)
			return
		}
		x.fail(req, err)
		return
	}
	x.redirect("/cases/" + id + "#minutes-h")
}

// minutesForm is what the minutes' form shows: empty, or what was typed
// into it when it was refused.
type minutesForm struct {
	HeldAt    string
	Attendees []string
	Rows      []decisionRow
}

// decisionRow is row N of the form's decisions.
type decisionRow struct {
	N int
	broker.MeetingDecision
}

func newMinutesForm() minutesForm {
	f := minutesForm{}
	for i := range decisionRows {
		f.Rows = append(f.Rows, decisionRow{N: i})
	}
	return f
}

// Attended reports whether the form had actor id ticked as an attendee.
func (f minutesForm) Attended(id string) bool { return slices.Contains(f.Attendees, id) }

// localTime reads a datetime-local value (2026-12-03T14:30) as Brussels
// time, in RFC 3339; anything else is passed on as typed, for the use case
// to refuse naming held_at.
func (s *Server) localTime(v string) string {
	t, err := time.ParseInLocation("2006-01-02T15:04", v, s.tr.brussel)
	if err != nil {
		return v
	}
	return t.Format(time.RFC3339)
}

// retentionData is the page of what expires soon.
type retentionData struct {
	Days       string
	Items      []broker.RetentionItem
	NextCursor string
}

// retention lists the signals and dossiers whose retention ends within
// ?days= (30 by default), soonest first.
func (s *Server) retention(x *reqCtx) {
	q := x.r.URL.Query()
	days := q.Get("days")
	req, ctx := x.request(nil)
	page, err := s.b.ListRetention(ctx, req, days, q.Get("cursor"), "")
	if err != nil {
		x.fail(req, err)
		return
	}
	if days == "" {
		days = "30"
	}
	d := retentionData{Days: days, Items: page.Items, NextCursor: page.NextCursor}
	s.render(x.w, http.StatusOK, "retention", x.view("retention.title", d))
}

// review keeps a closed dossier one more retention period.
func (s *Server) review(x *reqCtx) {
	req, ctx := x.request(jsonBody(broker.ReviewRequest{Reason: x.r.PostFormValue("reason")}))
	if _, err := s.b.ReviewCase(ctx, req, x.r.PathValue("id")); err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/retention")
}

// stepOutcomes are the outcomes each move may record (docs/api.md, "Step
// outcomes"), offered by the transition form; the policy holds them and
// judges the one sent (a cell's own list included: an outcome it does not
// hold for the move is refused, 422 naming outcome). TestStepOutcomes
// keeps this table as docs/api.md lists it, which the decision table's
// test holds against the policy.
var stepOutcomes = map[string]map[string][]string{
	broker.StateWeighing: {
		broker.StateApproach: {"concern_confirmed", "concern_unclear"},
		broker.StateClosed:   {"no_concern", "referred_elsewhere", "handled_elsewhere"},
	},
	broker.StateApproach:   {broker.StateEvaluation: {"plan_carried_out", "plan_partly_carried_out", "plan_not_carried_out"}},
	broker.StateEvaluation: {broker.StateClosed: {"risk_reduced", "risk_unchanged", "referred_elsewhere", "no_cooperation"}},
}

// outcomeGroup is the outcomes of the move to one state.
type outcomeGroup struct {
	To       string
	Outcomes []string
}

// outcomesFrom is the outcomes of the moves from state, in the order of
// AllowedMoves; none for a move that records none.
func outcomesFrom(state string) []outcomeGroup {
	var out []outcomeGroup
	for _, to := range broker.AllowedMoves(state) {
		if o := stepOutcomes[state][to]; len(o) > 0 {
			out = append(out, outcomeGroup{To: to, Outcomes: o})
		}
	}
	return out
}
