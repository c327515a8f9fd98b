package auditout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
)

// AlertSender sends alerts somewhere (a webhook); Send returns nil only
// once every alert was taken.
type AlertSender interface {
	Send(ctx context.Context, alerts []Alert) error
}

// Alert is what an alert output sends: the finding of broker.Alerts, with
// its cell and an id that stays the same when it is sent again.
type Alert struct {
	ID   string `json:"id"`
	Livc string `json:"livc"`
	broker.Alert
}

// Alerts is an Output that raises, as the entries of a cell's log come, the
// alerts GET /v1/audit/alerts would find (broker.Alerts, over the cell's
// alert window), and hands each new one to Count (metrics) and Sender. An
// individual's alert of a kind is raised again only for a window that
// begins after the last one raised ended.
type Alerts struct {
	// Conf gives each cell's thresholds.
	Conf func(livc string) broker.AuditConf
	// Sender, when set, takes every alert raised.
	Sender AlertSender
	// Count, when set, is told of every alert raised, once.
	Count func(livc, kind string)

	mu    sync.Mutex
	cells map[string]*detector
}

// Name implements Output.
func (*Alerts) Name() string { return "alerts" }

// Warm implements Warmer: the entries before the cursor fill the window,
// and what they raise counts as raised (it was, before the restart).
func (a *Alerts) Warm(_ context.Context, livc string, entries []broker.AuditEntry) {
	d := a.detector(livc)
	d.add(entries)
	d.pending = nil
}

// Deliver implements Output. Entries it saw already (a repeat after a
// failed send) are skipped; alerts raised but not yet sent are sent first.
func (a *Alerts) Deliver(ctx context.Context, livc string, entries []broker.AuditEntry) error {
	d := a.detector(livc)
	for _, al := range d.add(entries) {
		if a.Count != nil {
			a.Count(livc, al.Kind)
		}
	}
	if len(d.pending) == 0 || a.Sender == nil {
		d.pending = nil
		return nil
	}
	if err := a.Sender.Send(ctx, d.pending); err != nil {
		return err
	}
	d.pending = nil
	return nil
}

func (a *Alerts) detector(livc string) *detector {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cells == nil {
		a.cells = map[string]*detector{}
	}
	d := a.cells[livc]
	if d == nil {
		conf := broker.AuditConf{}
		if a.Conf != nil {
			conf = a.Conf(livc)
		}
		d = &detector{livc: livc, conf: conf.WithDefaults(), seen: -1, raised: map[alertKey]time.Time{}}
		a.cells[livc] = d
	}
	return d
}

type alertKey struct{ kind, actor, sub string }

// detector keeps one cell's entries that alerts count (card reads, denials,
// failed logins) over the last alert window. A cell's log is delivered by
// one goroutine, so a detector needs no lock.
type detector struct {
	livc    string
	conf    broker.AuditConf
	seen    int64 // the last index added
	window  []broker.AuditEntry
	raised  map[alertKey]time.Time // the end of the last alert raised
	pending []Alert
}

// add takes entries after the last seen, and returns the alerts they raise
// (also queued in pending).
func (d *detector) add(entries []broker.AuditEntry) []Alert {
	fresh := false
	for _, e := range entries {
		if e.Index <= d.seen {
			continue
		}
		d.seen = e.Index
		if counts(e) {
			d.window = append(d.window, e)
			fresh = true
		}
	}
	if !fresh {
		return nil
	}
	last := d.window[len(d.window)-1].Time
	cut := slices.IndexFunc(d.window, func(e broker.AuditEntry) bool { return !e.Time.Before(last.Add(-d.conf.AlertWindow)) })
	d.window = d.window[max(cut, 0):]
	for k, end := range d.raised {
		if end.Before(last.Add(-d.conf.AlertWindow)) {
			delete(d.raised, k) // its window is over: a new crossing is a new alert
		}
	}
	var out []Alert
	for _, al := range broker.Alerts(d.window, d.conf) {
		k := alertKey{al.Kind, al.Actor, al.Sub}
		if end, ok := d.raised[k]; ok && !al.From.After(end) {
			continue
		}
		d.raised[k] = al.To
		x := Alert{ID: alertID(d.livc, al), Livc: d.livc, Alert: al}
		out = append(out, x)
		d.pending = append(d.pending, x)
	}
	return out
}

// counts tells whether broker.Alerts looks at e.
func counts(e broker.AuditEntry) bool {
	return e.Action == broker.ActionAuthFail || e.Decision == broker.DecisionDeny ||
		(e.Action == broker.ActionCardRead && e.Decision == broker.DecisionAllow)
}

// alertID names an alert by its cell, kind, individual and start, so that a
// receiver tells a repeat from a new alert.
func alertID(livc string, a broker.Alert) string {
	h := sha256.Sum256([]byte(livc + "\x00" + a.Kind + "\x00" + a.Actor + "\x00" + a.Sub + "\x00" + a.From.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(h[:16])
}
