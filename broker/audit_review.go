package broker

import (
	"context"
	"sort"
	"time"
)

// AuditConf holds a cell's alert thresholds (the audit: section of its
// configuration).
type AuditConf struct {
	AlertWindow     time.Duration // the sliding window of every alert
	MaxPersons      int           // more distinct persons read by one individual in a window alerts
	MaxDenials      int           // this many denials of one individual in a window alert
	MaxAuthFailures int           // this many failed logins of one verified sub in a window alert
}

// DefaultAuditConf is what a cell without an audit: section gets.
func DefaultAuditConf() AuditConf {
	return AuditConf{AlertWindow: time.Hour, MaxPersons: 20, MaxDenials: 5, MaxAuthFailures: 5}
}

// WithDefaults returns a with the defaults in place of zero thresholds.
func (a AuditConf) WithDefaults() AuditConf {
	d := DefaultAuditConf()
	if a.AlertWindow <= 0 {
		a.AlertWindow = d.AlertWindow
	}
	if a.MaxPersons <= 0 {
		a.MaxPersons = d.MaxPersons
	}
	if a.MaxDenials <= 0 {
		a.MaxDenials = d.MaxDenials
	}
	if a.MaxAuthFailures <= 0 {
		a.MaxAuthFailures = d.MaxAuthFailures
	}
	return a
}

// AuditReport answers GET /v1/audit/report?subject_ref=…: every entry about
// one person (who, which organisation, which fields released and withheld,
// for which purpose, under which policy revision), in log order, paged. The
// report's own entry names the person, so that looking is itself on record.
func (s *Service) AuditReport(ctx context.Context, req *Request, q AuditQuery) (AuditPage, error) {
	c, _, err := s.review(ctx, req, ActionAuditReport, func(e *AuditEntry) error {
		if !ValidSubjectRef(q.SubjectRef) {
			return Invalid("subject_ref", "must be a subject ref (s_…)")
		}
		if q.Limit < 0 || q.Limit > MaxLimit {
			return Invalid("limit", "must be from 1 to %d", MaxLimit)
		}
		if err := s.c.Audit.CheckCursor(q.Cursor); err != nil {
			return err
		}
		e.SubjectRef = q.SubjectRef
		return nil
	})
	if err != nil {
		return AuditPage{}, err
	}
	sq := AuditQuery{Livc: c.cell.ID, SubjectRef: q.SubjectRef, Cursor: q.Cursor, Limit: q.Limit, From: q.From, To: q.To}
	items, next, err := s.c.Audit.List(ctx, sq)
	if err != nil {
		return AuditPage{}, unavailable(err)
	}
	if items == nil {
		items = []AuditEntry{}
	}
	return AuditPage{Items: items, NextCursor: next}, nil
}

// Alert kinds.
const (
	AlertManyPersons   = "many_persons"
	AlertOutsideRoster = "outside_roster"
	AlertDenials       = "repeated_denials"
	// AlertAuthFailures is about the refused logins in a cell's log: only
	// those of tokens that verified (signed by the trusted issuer for the
	// cell) but name an actor the cell does not know, by their sub. A
	// token that does not verify is trusted for nothing, its cell claim
	// included: its refusal is in the broker's log (authfail.go), per
	// client address, and alerts no cell.
	AlertAuthFailures = "failed_logins"
)

// Alert is one finding of GET /v1/audit/alerts, linked to its entries.
type Alert struct {
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	Sub     string    `json:"sub"`
	Count   int       `json:"count"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Entries []string  `json:"entries"` // audit ids
}

// AlertsPage is the answer of GET /v1/audit/alerts.
type AlertsPage struct {
	Items []Alert `json:"items"`
	// Partial is set when the window held more entries than one request
	// examines (maxAlertScan); ask again with a narrower from/to.
	Partial bool `json:"partial,omitempty"`
}

// maxAlertScan bounds the entries one alerts request examines.
const maxAlertScan = 200_000

// AuditAlerts answers GET /v1/audit/alerts: what in [from, to) (default the
// last 24 hours) crosses the cell's thresholds.
func (s *Service) AuditAlerts(ctx context.Context, req *Request, from, to time.Time) (AlertsPage, error) {
	c, _, err := s.review(ctx, req, ActionAuditAlerts, func(*AuditEntry) error {
		if !from.IsZero() && !to.IsZero() && to.Before(from) {
			return Invalid("to", "is before from")
		}
		return nil
	})
	if err != nil {
		return AlertsPage{}, err
	}
	if to.IsZero() {
		to = s.c.Now()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	var all []AuditEntry
	q := AuditQuery{Livc: c.cell.ID, From: from, To: to, Limit: MaxLimit}
	page := AlertsPage{}
	for {
		items, next, err := s.c.Audit.List(ctx, q)
		if err != nil {
			return AlertsPage{}, unavailable(err)
		}
		all = append(all, items...)
		if next == "" {
			break
		}
		if len(all) >= maxAlertScan {
			page.Partial = true
			break
		}
		q.Cursor = next
	}
	page.Items = Alerts(all, c.cell.Audit)
	return page, nil
}

// ReasonOffRoster is the audit reason of a card read refused because the
// requester's actor is not on the roster of the person's open dossier. The
// requester sees ErrNotFoundForRequester, as for an unknown or erased person;
// only the log tells them apart, and the outside_roster alert keys on it.
const ReasonOffRoster = "off the roster: a dossier about the person is open, the requester's actor is not on its roster"

// Alerts finds, in entries (in log order), every individual whose reads,
// denials or failed logins cross the thresholds of conf within its window,
// and every card read refused off the roster. Each alert is reported once
// per individual and kind, at the first window that crosses.
func Alerts(entries []AuditEntry, conf AuditConf) []Alert {
	conf = conf.WithDefaults()
	type key struct{ sub, actor string }
	reads, denials, fails := map[key][]AuditEntry{}, map[key][]AuditEntry{}, map[key][]AuditEntry{}
	out := []Alert{}
	outside := map[key]*Alert{}
	var order []key
	for _, e := range entries {
		k := key{e.Sub, e.Actor}
		switch {
		case e.Action == ActionAuthFail:
			fails[k] = append(fails[k], e)
		case e.Decision == DecisionDeny:
			denials[k] = append(denials[k], e)
			if e.Action == ActionCardRead && e.Reason == ReasonOffRoster {
				a := outside[k]
				if a == nil {
					a = &Alert{Kind: AlertOutsideRoster, Actor: e.Actor, Sub: e.Sub, From: e.Time}
					outside[k] = a
					order = append(order, k)
				}
				a.Count++
				a.To = e.Time
				a.Entries = append(a.Entries, e.ID)
			}
		case e.Action == ActionCardRead && e.Decision == DecisionAllow:
			reads[k] = append(reads[k], e)
		}
	}
	for _, k := range order {
		out = append(out, *outside[k])
	}
	for k, es := range reads {
		if a, ok := window(es, conf.AlertWindow, conf.MaxPersons+1, true); ok {
			a.Kind, a.Actor, a.Sub = AlertManyPersons, k.actor, k.sub
			out = append(out, a)
		}
	}
	for k, es := range denials {
		if a, ok := window(es, conf.AlertWindow, conf.MaxDenials, false); ok {
			a.Kind, a.Actor, a.Sub = AlertDenials, k.actor, k.sub
			out = append(out, a)
		}
	}
	for k, es := range fails {
		if a, ok := window(es, conf.AlertWindow, conf.MaxAuthFailures, false); ok {
			a.Kind, a.Actor, a.Sub = AlertAuthFailures, k.actor, k.sub
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].From.Equal(out[j].From) {
			return out[i].From.Before(out[j].From)
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// window finds the first span of at most w holding at least limit entries
// (distinct persons, with persons), and returns it as an alert with its
// entries.
func window(es []AuditEntry, w time.Duration, limit int, persons bool) (Alert, bool) {
	count := map[string]int{}
	distinct := 0
	lo := 0
	for hi, e := range es {
		if count[e.SubjectRef]++; count[e.SubjectRef] == 1 {
			distinct++
		}
		for e.Time.Sub(es[lo].Time) > w {
			if count[es[lo].SubjectRef]--; count[es[lo].SubjectRef] == 0 {
				distinct--
			}
			lo++
		}
		n := hi - lo + 1
		if persons {
			n = distinct
		}
		if n >= limit {
			a := Alert{Count: n, From: es[lo].Time, To: e.Time}
			for _, x := range es[lo : hi+1] {
				a.Entries = append(a.Entries, x.ID)
			}
			return a, true
		}
	}
	return Alert{}, false
}
