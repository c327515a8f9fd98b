package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/livc/livc-broker/broker"
)

// The operational table's own pages beyond the card: the lookup (is this
// person known?) and "dossiers I'm on" with their minutes. Both work under
// case_conference and are the API's use cases (Lookup, ListCases,
// ListMeetings); what the policy refuses is the pipeline's refusal.

func init() {
	pageNames = append(pageNames, "lookup", "cases_mine", "stats")
	ownPrefixes = append(ownPrefixes, "lookup", "stats")
}

// InsightBroker is the part of Broker the lookup and the strategic table's
// pages use.
type InsightBroker interface {
	Lookup(ctx context.Context, req *broker.Request) (broker.LookupAnswer, error)
	ReadStats(ctx context.Context, req *broker.Request) (broker.Stats, error)
}

// insightRoutes are the routes of these pages and of the strategic table's,
// called from routes.
func (s *Server) insightRoutes() {
	m, cc := s.mux, broker.PurposeCaseConference
	m.HandleFunc("GET /lookup", s.signedIn(cc, s.lookupPage))
	m.HandleFunc("POST /lookup", s.scripted(cc, s.lookup))
	m.HandleFunc("GET /cases/mine", s.signedIn(cc, s.casesMine))
	m.HandleFunc("GET /stats", s.signedIn(broker.PurposePolicy, s.stats))
}

// lookupForm is the lookup page: the identity controls of the new-signal
// form (the national number, or the names and birth date) and the
// recipient the browser encrypts the question to.
type lookupForm struct {
	Recipient string
	Number    []formField
	Names     []formField
}

func (s *Server) lookupPage(x *reqCtx) {
	f := buildSignalForm(x.cell, hybridRecipient(s.b.PublicKeys()))
	data := lookupForm{Recipient: f.Recipient, Number: f.Number, Names: f.Names}
	s.render(x.w, http.StatusOK, "lookup", x.view("lookup.title", data))
}

// lookupAnswer is what the lookup's script receives: hit or no-hit and,
// on a hit only, the card's page by pseudonym. A no-hit's random pseudonym
// is not passed on: it names nobody and would only invite a click.
type lookupAnswer struct {
	Known bool   `json:"known"`
	Card  string `json:"card,omitempty"`
}

// lookup takes the question the browser encrypted (application/age only:
// the identity never reaches the server in plaintext, nor a URL or a log)
// to the same use case as POST /v1/subjects/lookup. 200 {"known", "card"}.
func (s *Server) lookup(x *reqCtx) {
	req, ctx := x.request(x.readAge)
	ans, err := s.b.Lookup(ctx, req)
	if err != nil {
		x.failJSON(req, err)
		return
	}
	out := lookupAnswer{Known: ans.Known}
	if ans.Known {
		out.Card = "/subjects/" + url.PathEscape(ans.SubjectRef) + "/card"
	}
	body, _ := json.Marshal(out)
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	x.w.Write(body)
}

// myDossier is one dossier on the person's roster with its case
// conferences, newest first.
type myDossier struct {
	Case     broker.CaseView
	Meetings []broker.MeetingView
}

// casesMineData is "dossiers I'm on"; Name gives an actor's name.
type casesMineData struct {
	Dossiers []myDossier
	cell     *broker.Cell
}

// Name is actor id's organisation as the cell names it, or the id.
func (d casesMineData) Name(id string) string {
	if a, ok := d.cell.Actor(id); ok {
		return a.Name
	}
	return id
}

// casesMine lists the dossiers whose roster holds the person's actor (the
// policy's scope under case_conference; the coordinator's wider scope is
// narrowed to its own rosters here, as the page's title says), each with
// its minutes (one ListMeetings each, audited as a read of them).
func (s *Server) casesMine(x *reqCtx) {
	req, ctx := x.request(nil)
	page, err := s.b.ListCases(ctx, req, "", broker.MaxLimit)
	if err != nil {
		x.fail(req, err)
		return
	}
	data := casesMineData{cell: x.cell}
	for _, k := range page.Items {
		if !slices.Contains(k.Roster, x.actor.ID) {
			continue
		}
		ms, ok := s.meetingsOf(x, k.ID)
		if !ok {
			return
		}
		slices.Reverse(ms) // the use case lists them oldest first
		data.Dossiers = append(data.Dossiers, myDossier{Case: k, Meetings: ms})
	}
	s.render(x.w, http.StatusOK, "cases_mine", x.view("cases_mine.title", data))
}
