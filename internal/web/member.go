package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
)

// The roster member's pages (the information card as a timeline, "my
// tasks" with reporting) and the tactical table's actions on a dossier
// (its priority, a task to an actor of its roster). Each is one use case of
// the API's: the card and the tasks under case_conference, the priority and
// the assignment under prioritisation. The pages hold no rule: what the
// policy refuses is the pipeline's refusal page.

func init() {
	pageNames = append(pageNames, "card", "tasks_mine")
	ownPrefixes = append(ownPrefixes, "subjects", "tasks")
	funcs["scenarios"] = func() []string { return broker.Scenarios }
	funcs["count"] = func(p *int) int { return *p }
	funcs["nn"] = nationalNumberText
}

// nationalNumberText writes eleven digits as on the identity card,
// YY.MM.DD-XXX.CC; anything else as it is.
func nationalNumberText(s string) string {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" {
		return s
	}
	return s[0:2] + "." + s[2:4] + "." + s[4:6] + "-" + s[6:9] + "." + s[9:11]
}

// MemberBroker is the part of Broker these pages use.
type MemberBroker interface {
	ReadCard(ctx context.Context, req *broker.Request, ref string) (broker.Card, error)
	MyTasks(ctx context.Context, req *broker.Request, cursor, limit string) (broker.MyTaskPage, error)
	ReportTask(ctx context.Context, req *broker.Request, caseID, taskID string) (broker.TaskView, error)
	SetPriority(ctx context.Context, req *broker.Request, caseID string) (broker.CaseView, error)
	AssignTask(ctx context.Context, req *broker.Request, caseID string) (broker.CaseView, error)
}

// memberRoutes are the routes of these pages, called from routes.
func (s *Server) memberRoutes() {
	m, cc, prio := s.mux, broker.PurposeCaseConference, broker.PurposePrioritisation
	m.HandleFunc("GET /subjects/{ref}/card", s.signedIn(cc, s.card))
	m.HandleFunc("GET /tasks/mine", s.signedIn(cc, s.myTasks))
	m.HandleFunc("POST /cases/{id}/tasks/{task}/report", s.signedIn(cc, s.reportTask))
	m.HandleFunc("POST /cases/{id}/priority", s.signedIn(prio, s.setPriority))
	m.HandleFunc("POST /cases/{id}/tasks", s.signedIn(prio, s.assignTask))
}

// cardEntry is one released value of the card: its field, the value as
// text, the source actor (id and organisation's name), record and date.
// Type is the catalogue's type of the field ("" for one it no longer
// knows): the page writes an enum value by its label and a date as
// dd/mm/yyyy.
type cardEntry struct {
	Field, Value, Type, Source, SourceName, Record string
	At                                             time.Time
}

// cardClass is the card's values of one class, newest first.
type cardClass struct {
	Class   string
	Entries []cardEntry
}

// cardData is the card page: the classes in the order of the new-signal
// form (identity first, then by classOrder; an unknown class last), and the withheld count only where the
// use case answers one (nil elsewhere: the page then says nothing).
type cardData struct {
	SubjectRef string
	Classes    []cardClass
	Withheld   *int
}

func (s *Server) card(x *reqCtx) {
	req, ctx := x.request(nil)
	c, err := s.b.ReadCard(ctx, req, x.r.PathValue("ref"))
	if err != nil {
		x.fail(req, err)
		return
	}
	s.render(x.w, http.StatusOK, "card", x.view("card.title", timeline(x.cell, c)))
}

// timeline groups a card's values by their field's class (a field the
// catalogue no longer knows under "other"), each class's values newest
// first (then by field and record, so that the order is stable).
func timeline(cell *broker.Cell, c broker.Card) cardData {
	d := cardData{SubjectRef: c.SubjectRef, Withheld: c.Withheld}
	by := map[string][]cardEntry{}
	for name, vs := range c.Fields {
		class, typ := "other", ""
		if spec, ok := cell.Fields[name]; ok {
			class, typ = spec.Class, spec.Type
		}
		for _, v := range vs {
			e := cardEntry{Field: name, Value: valueText(v.Value), Type: typ, Source: v.Source, SourceName: v.Source, Record: v.Record, At: v.At}
			if a, ok := cell.Actor(v.Source); ok {
				e.SourceName = a.Name
			}
			by[class] = append(by[class], e)
		}
	}
	for class, es := range by {
		slices.SortFunc(es, func(a, b cardEntry) int {
			return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Record, b.Record))
		})
		d.Classes = append(d.Classes, cardClass{Class: class, Entries: es})
	}
	slices.SortFunc(d.Classes, func(a, b cardClass) int {
		return cmp.Or(cmp.Compare(classOrder(a.Class), classOrder(b.Class)), cmp.Compare(a.Class, b.Class))
	})
	return d
}

// valueText is a card value as text, as the API gives it: a string as is
// (a small count "<5" stays the text "<5"), a number as written, a list
// joined by commas.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case []string:
		return strings.Join(v, ", ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (s *Server) myTasks(x *reqCtx) {
	req, ctx := x.request(nil)
	page, err := s.b.MyTasks(ctx, req, x.r.URL.Query().Get("cursor"), "")
	if err != nil {
		x.fail(req, err)
		return
	}
	s.render(x.w, http.StatusOK, "tasks_mine", x.view("tasks_mine.title", page))
}

// reportTask is PATCH /v1/cases/{id}/tasks/{task} from the form of "my tasks".
func (s *Server) reportTask(x *reqCtx) {
	req, ctx := x.request(jsonBody(broker.TaskReport{Status: x.r.PostFormValue("status"), Report: x.r.PostFormValue("report")}))
	if _, err := s.b.ReportTask(ctx, req, x.r.PathValue("id"), x.r.PathValue("task")); err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/tasks/mine")
}

// setPriority is PUT /v1/cases/{id}/priority from the dossier page. A value
// that is not a number goes to the use case as 0, which it refuses (422).
func (s *Server) setPriority(x *reqCtx) {
	var p int
	fmt.Sscan(x.r.PostFormValue("priority"), &p)
	req, ctx := x.request(jsonBody(broker.PriorityRequest{Priority: p}))
	k, err := s.b.SetPriority(ctx, req, x.r.PathValue("id"))
	if err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/cases/" + k.ID)
}

// assignTask is POST /v1/cases/{id}/tasks from the dossier page: the form
// offers the roster's actors, the policy refuses any other (422 naming
// actor).
func (s *Server) assignTask(x *reqCtx) {
	f := x.r.PostFormValue
	req, ctx := x.request(jsonBody(broker.TaskRequest{Actor: f("actor"), Description: f("description"),
		Due: f("due"), Scenario: f("scenario")}))
	k, err := s.b.AssignTask(ctx, req, x.r.PathValue("id"))
	if err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/cases/" + k.ID)
}
