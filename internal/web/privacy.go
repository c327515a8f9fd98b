package web

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/livc/livc-broker/broker"
)

// The privacy officer's console: the audit log with filters and paging, an
// entry with its inclusion proof, "who saw what of this person", the
// alerts, and the export of a filtered view as CSV. Every page is one use
// case of the API's under audit_review, with the signed-in person's
// principal: each look is in the log like the API's, and the policy (not
// the page) decides who may look.

func init() {
	pageNames = append(pageNames, "audit", "audit_entry", "who", "alerts")
	ownPrefixes = append(ownPrefixes, "privacy")
	for _, p := range []string{"audit", "audit_entry", "who", "alerts"} {
		pageParts[p] = []string{"privacy_parts"}
	}
	funcs["entries"] = func(v *view, items []broker.AuditEntry, names map[string]string, caption string, fields bool) entryTable {
		return entryTable{V: v, Items: items, Names: names, Caption: caption, Fields: fields}
	}
}

// entryTable is what the table of entries (privacy_parts.html) is drawn
// from: the log page's and "who saw what"'s.
type entryTable struct {
	V       *view
	Items   []broker.AuditEntry
	Names   map[string]string
	Caption string
	// Fields shows the released and withheld fields by name ("who saw
	// what"); else their counts (the log).
	Fields bool
}

// PrivacyBroker is the part of Broker these pages use.
type PrivacyBroker interface {
	ListAudit(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.AuditPage, error)
	ExportAuditView(ctx context.Context, req *broker.Request, q broker.AuditQuery) ([]broker.AuditEntry, error)
	AuditProof(ctx context.Context, req *broker.Request, auditID string, from int64) (any, error)
	AuditReportByIdentity(ctx context.Context, req *broker.Request, q broker.AuditQuery) (broker.ReportPage, error)
	AuditAlerts(ctx context.Context, req *broker.Request, from, to time.Time) (broker.AlertsPage, error)
}

// privacyRoutes are the routes of the console, called from routes.
func (s *Server) privacyRoutes() {
	m, ar := s.mux, broker.PurposeAuditReview
	m.HandleFunc("GET /privacy/audit", s.signedIn(ar, s.auditLog))
	m.HandleFunc("GET /privacy/audit.csv", s.signedIn(ar, s.auditCSV))
	m.HandleFunc("GET /privacy/audit/{id}", s.signedIn(ar, s.auditEntry))
	m.HandleFunc("GET /privacy/who", s.signedIn(ar, s.whoForm))
	m.HandleFunc("POST /privacy/who", s.signedIn(ar, s.whoSaw))
	m.HandleFunc("GET /privacy/alerts", s.signedIn(ar, s.alerts))
}

// auditPageSize is the entries one page of the console's log shows unless
// its query's limit says otherwise.
const auditPageSize = 50

// auditFilter is the console's filter form, as its GET query carries it:
// ids and pseudonyms only, never an identity; the period as dates.
type auditFilter struct {
	Actor, Sub, SubjectRef, CaseID, Action, Decision, From, To string
	Limit                                                      string // entries per page
}

// filterOf reads the filter of the page's query.
func filterOf(q url.Values) auditFilter {
	return auditFilter{Actor: q.Get("actor"), Sub: q.Get("sub"), SubjectRef: q.Get("subject_ref"),
		CaseID: q.Get("case_id"), Action: q.Get("action"), Decision: q.Get("decision"),
		From: q.Get("from"), To: q.Get("to"), Limit: q.Get("limit")}
}

// Query is the filter as a query string (without a cursor), for the
// paging, export and print links.
func (f auditFilter) Query() string {
	v := url.Values{}
	for k, x := range map[string]string{"actor": f.Actor, "sub": f.Sub, "subject_ref": f.SubjectRef,
		"case_id": f.CaseID, "action": f.Action, "decision": f.Decision, "from": f.From, "to": f.To, "limit": f.Limit} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// filterItem is one filter set, for a printed report: its label's
// message id and its value.
type filterItem struct{ Label, Value string }

// Items are the filters set, in the form's order.
func (f auditFilter) Items() []filterItem {
	var out []filterItem
	for _, it := range []filterItem{{"audit.actor", f.Actor}, {"audit.person", f.SubjectRef}, {"audit.sub", f.Sub},
		{"audit.case", f.CaseID}, {"audit.action", f.Action}, {"audit.decision", f.Decision},
		{"audit.from", f.From}, {"audit.to", f.To}} {
		if it.Value != "" {
			out = append(out, it)
		}
	}
	return out
}

// Href is path with the filter and cursor as its query: a whole URL, so
// that html/template checks it as one and does not escape its "=" and "&".
func (f auditFilter) Href(path, cursor string) string {
	q := f.Query()
	if cursor != "" {
		if q != "" {
			q += "&"
		}
		q += "cursor=" + url.QueryEscape(cursor)
	}
	if q == "" {
		return path
	}
	return path + "?" + q
}

// Empty reports whether no filter is set.
func (f auditFilter) Empty() bool { return f == auditFilter{} }

// query is the broker's query of the filter: newest first; the period from
// the start of From to the end of To, Brussels days. A date that is not a
// date is a refusal the pipeline audits (422 naming it).
func (f auditFilter) query(brussels *time.Location, cursor string) (broker.AuditQuery, error) {
	q := broker.AuditQuery{Actor: f.Actor, Sub: f.Sub, SubjectRef: f.SubjectRef, CaseID: f.CaseID,
		Action: f.Action, Decision: f.Decision, Cursor: cursor, Limit: auditPageSize, Descending: true}
	var err error
	if f.Limit != "" {
		if q.Limit, err = strconv.Atoi(f.Limit); err != nil || q.Limit < 1 {
			return q, broker.Invalid("limit", "must be from 1 to %d", broker.MaxLimit)
		}
	}
	if q.From, err = dayStart("from", f.From, brussels, 0); err != nil {
		return q, err
	}
	q.To, err = dayStart("to", f.To, brussels, 1)
	return q, err
}

// dayStart is the start of the Brussels day v (YYYY-MM-DD) plus days; the
// zero time for "".
func dayStart(name, v string, loc *time.Location, days int) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, broker.Invalid(name, "must be a date (YYYY-MM-DD)")
	}
	return d.AddDate(0, 0, days), nil
}

// auditLogData is the log page: the filter, the actions and actors to
// choose from, one page of entries and the next page's cursor.
type auditLogData struct {
	Filter     auditFilter
	Actions    []string
	Actors     []broker.Actor
	Items      []broker.AuditEntry
	NextCursor string
	Names      map[string]string
}

func (s *Server) auditLog(x *reqCtx) {
	f := filterOf(x.r.URL.Query())
	req, ctx := x.request(nil)
	q, err := f.query(s.tr.brussel, x.r.URL.Query().Get("cursor"))
	req.Refuse = err
	page, err := s.b.ListAudit(ctx, req, q)
	if err != nil {
		x.fail(req, err)
		return
	}
	d := auditLogData{Filter: f, Actions: broker.DecidedActions(), Actors: actorsOf(x.cell),
		Items: page.Items, NextCursor: page.NextCursor, Names: namesOf(x.cell)}
	s.render(x.w, http.StatusOK, "audit", x.view("audit.title", d))
}

// actorsOf is the cell's actors by id, for the actor filter.
func actorsOf(c *broker.Cell) []broker.Actor {
	out := make([]broker.Actor, 0, len(c.Actors))
	for _, id := range slices.Sorted(maps.Keys(c.Actors)) {
		out = append(out, c.Actors[id])
	}
	return out
}

// namesOf is the cell's actors' names by id, for the tables.
func namesOf(c *broker.Cell) map[string]string {
	out := make(map[string]string, len(c.Actors))
	for id, a := range c.Actors {
		out[id] = a.Name
	}
	return out
}

// auditEntryData is an entry's page: the entry as the log holds it and
// its inclusion proof in the tree of the latest checkpoint.
type auditEntryData struct {
	Entry broker.AuditEntry
	Proof broker.InclusionProof
	Names map[string]string
}

// auditEntry shows one entry with its proof: one use case (GET
// /v1/audit/proof?id=), whose answer holds the entry as stored.
func (s *Server) auditEntry(x *reqCtx) {
	req, ctx := x.request(nil)
	res, err := s.b.AuditProof(ctx, req, x.r.PathValue("id"), -1)
	if err != nil {
		x.fail(req, err)
		return
	}
	pr, ok := res.(broker.InclusionProof)
	var d auditEntryData
	if !ok || json.Unmarshal(pr.Entry, &d.Entry) != nil {
		x.fail(req, broker.Errorf(broker.KindInternal, "the proof holds no readable entry"))
		return
	}
	d.Proof, d.Names = pr, namesOf(x.cell)
	s.render(x.w, http.StatusOK, "audit_entry", x.view("audit_entry.title", d))
}

// alertsData is the alerts page: the period asked (dates) and what the
// broker found in it.
type alertsData struct {
	From, To string
	Page     broker.AlertsPage
	Names    map[string]string
}

// alerts lists what crosses the cell's thresholds in the period (the
// last 24 hours when no date is given).
func (s *Server) alerts(x *reqCtx) {
	qv := x.r.URL.Query()
	d := alertsData{From: qv.Get("from"), To: qv.Get("to"), Names: namesOf(x.cell)}
	req, ctx := x.request(nil)
	from, err := dayStart("from", d.From, s.tr.brussel, 0)
	to, err2 := dayStart("to", d.To, s.tr.brussel, 1)
	if err == nil {
		err = err2
	}
	req.Refuse = err
	page, err := s.b.AuditAlerts(ctx, req, from, to)
	if err != nil {
		x.fail(req, err)
		return
	}
	d.Page = page
	s.render(x.w, http.StatusOK, "alerts", x.view("alerts.title", d))
}

// Stamp is an audit entry's time as dd/mm/yyyy HH:MM:SS, Brussels time:
// the log's order within a minute matters to the privacy officer.
func (v *view) Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.tr.brussel).Format("02/01/2006 15:04:05")
}

// Generated is the time the page is made, for a printed report.
func (v *view) Generated() string { return v.Stamp(time.Now()) }
