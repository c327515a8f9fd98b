package broker

import (
	"context"
	"fmt"
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
	// Witnesses cosign the cell's checkpoints (C2SP tlog-witness); the
	// broker submits each new one to them in the background. None: the
	// checkpoints are signed by the broker's key alone.
	Witnesses []Witness
}

// Witness is an outside party that cosigns the checkpoints of a cell's log
// only if each is consistent with every one it cosigned before.
type Witness struct {
	Name string // its key's name, as its cosignatures carry it
	Key  string // its cosignature/v1 verifier key (name+hash+base64)
	URL  string // the base URL of its tlog-witness API (POST URL/add-checkpoint)
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
	// AlertWitnessRefused is an outside witness's refusal of the cell's
	// log (ActionWitnessRefuse), one alert per refusal; the entry's reason
	// names the witness.
	AlertWitnessRefused = "witness_refused"
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
		case e.Action == ActionWitnessRefuse:
			out = append(out, Alert{Kind: AlertWitnessRefused, Actor: e.Actor, Sub: e.Sub, Count: 1, From: e.Time, To: e.Time, Entries: []string{e.ID}})
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

// WitnessRefused writes to the cell's log that the witness named witness
// refused to cosign its checkpoint of size size as not consistent with what
// it cosigned before, which the privacy officer's alerts show
// (AlertWitnessRefused). It is the broker's own entry, decided by no
// policy; the caller (the witness submitter) logs an entry it could not
// write.
func (s *Service) WitnessRefused(ctx context.Context, livc, witness string, size int64) error {
	e := AuditEntry{ID: NewID("aud"), Time: s.c.Now().UTC(), Livc: livc, Actor: "livc-broker",
		Action: ActionWitnessRefuse, Decision: DecisionDeny,
		Reason: fmt.Sprintf("witness %s refused to cosign the checkpoint of size %d: not consistent with the checkpoints it cosigned before (the log was rebuilt or forked)", witness, size)}
	actx, cancel := context.WithTimeout(ctx, auditDetached)
	defer cancel()
	return s.c.Audit.Append(actx, &e)
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
