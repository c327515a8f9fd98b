package broker

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"
)

// Retention (README rule 7): signals that never became part of a dossier
// (received, held or dismissed) expire signal_without_case days after their
// last change; closed dossiers closed_case days after closing. For a person
// under the cell's minors.age on the day the schedule is computed, the
// periods minors.retention names replace the cell's. The broker erases what
// is due itself (retention_sweep.go), audited retention.expire, and shows the
// coordinator in advance what is about to expire (GET /v1/retention).

// SignalExpired is the state of a signal its retention period erased.
const SignalExpired = "expired"

// What a retention item is.
const (
	ExpirySignal = "signal"
	ExpiryCase   = "case"
)

// Expiry is one item of the retention schedule: a signal without a dossier
// or a closed dossier, and when it is due.
type Expiry struct {
	Kind       string
	ID         string
	SubjectRef string
	// Signal is the signal's intake entry as read (Kind ExpirySignal);
	// Case the dossier as read (ExpiryCase). The expiry holds only while
	// they are still so.
	Signal SignalEntry
	Case   Case
	// Since is the last change the period counts from; Days the period;
	// Due when it ends; Minor whether minors.retention set it.
	Since time.Time
	Days  int
	Due   time.Time
	Minor bool
	// At is when the expiry runs: the intake records it as the signals'
	// last change.
	At time.Time
}

// RetentionStore reads what the retention schedule is computed from and
// plans an expiry.
type RetentionStore interface {
	// SignalsInStates returns every intake entry of the cell in one of
	// states; its cost is the signals in those states.
	SignalsInStates(ctx context.Context, livc string, states []string) ([]SignalEntry, error)
	// ClosedCases returns every closed dossier of the cell; its cost is
	// the cell's dossiers.
	ClosedCases(ctx context.Context, livc string) ([]Case, error)
	// PlanExpire plans erasing x: a signal's record, or a dossier with
	// its minutes and the records of the signals it holds; the intake
	// shows those signals expired. When the person then has no record and
	// no dossier left, the plan crypto-shreds them like an erasure
	// (PlanErase) and returns the data key it deletes; otherwise, when it
	// removes a record or a dossier, it re-keys the person with the
	// Rekey that rekey returns for the records and dossiers it removes
	// (an error from rekey is returned, nothing planned). It holds while
	// the signal or dossier is as read; ErrNotFound when it is gone.
	PlanExpire(ctx context.Context, livc string, x Expiry, rekey Rekeyer) (w Write, wrapped []byte, err error)
	// ClaimRetention claims the cell's retention run for ttl, so that of
	// several brokers on one store one runs it at a time; ok is false when
	// another holds it. release gives the claim up.
	ClaimRetention(ctx context.Context, livc string, ttl time.Duration) (release func(), ok bool, err error)
}

// RetentionItem is one line of GET /v1/retention.
type RetentionItem struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RetentionPage is the answer of GET /v1/retention, soonest first.
type RetentionPage struct {
	Items      []RetentionItem `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// retentionNames are what a retention listing releases.
var retentionNames = []string{"expires_at", "id", "kind"}

// defaultRetentionDays is how far ahead GET /v1/retention looks by default;
// maxRetentionDays bounds ?days=.
const (
	defaultRetentionDays = 30
	maxRetentionDays     = 36525
)

// ListRetention answers GET /v1/retention: the signals and dossiers whose
// retention ends within ?days= (default 30) of now, or has ended (the
// broker erases them at its next run), soonest first, paged.
//
// Steps: authenticate, decide (the coordinator's, under case_conference),
// the query (422 naming days, limit or cursor), the schedule, audit, answer.
func (s *Service) ListRetention(ctx context.Context, req *Request, days, cursor, limit string) (RetentionPage, error) {
	c, err := s.begin(ctx, req, ActionRetentionList)
	if err != nil {
		return RetentionPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return RetentionPage{}, err
	}
	n := defaultRetentionDays
	if days != "" {
		if n, err = strconv.Atoi(days); err != nil || n < 0 || n > maxRetentionDays {
			return RetentionPage{}, c.fail(ctx, Invalid("days", "must be a whole number of days from 0 to %d", maxRetentionDays))
		}
	}
	from, size, err := offsetPage(cursor, limit, math.MaxInt32)
	if err != nil {
		return RetentionPage{}, c.fail(ctx, err)
	}
	now := s.c.Now().UTC()
	due, err := s.schedule(ctx, c.cell, now, now.AddDate(0, 0, n))
	if err != nil {
		return RetentionPage{}, c.fail(ctx, err)
	}
	page := RetentionPage{Items: []RetentionItem{}}
	for i := from; i < len(due) && len(page.Items) < size; i++ {
		page.Items = append(page.Items, RetentionItem{Kind: due[i].Kind, ID: due[i].ID, ExpiresAt: due[i].Due})
		if i+1 < len(due) && len(page.Items) == size {
			page.NextCursor = strconv.Itoa(i + 1)
		}
	}
	c.entry.Released = []string{}
	if len(page.Items) > 0 {
		c.entry.Released = retentionNames
	}
	c.entry.Reason = strconv.Itoa(len(due)) + " items due within " + strconv.Itoa(n) + " days"
	if err := c.allow(ctx); err != nil {
		return RetentionPage{}, err
	}
	return page, nil
}

// schedule returns the cell's items due by until, soonest first (then by
// id). now is the day minors' ages are computed on.
func (s *Service) schedule(ctx context.Context, cell *Cell, now, until time.Time) ([]Expiry, error) {
	sigs, err := s.c.Store.SignalsInStates(ctx, cell.ID, []string{SignalReceived, SignalHeld, SignalDismissed})
	if err != nil {
		return nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	cases, err := s.c.Store.ClosedCases(ctx, cell.ID)
	if err != nil {
		return nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	ages := minorCache{s: s, cell: cell, now: now, until: until, known: map[string]bool{}}
	var out []Expiry
	for _, e := range sigs {
		x := Expiry{Kind: ExpirySignal, ID: e.ID, SubjectRef: e.SubjectRef, Signal: e, Since: cmp.Or(e.ChangedAt, e.ReceivedAt)}
		if err := ages.period(ctx, &x, func(r Retention) int { return r.SignalWithoutCase }); err != nil {
			return nil, err
		}
		if !x.Due.After(until) {
			out = append(out, x)
		}
	}
	for _, k := range cases {
		x := Expiry{Kind: ExpiryCase, ID: k.ID, SubjectRef: k.SubjectRef, Case: k, Since: closedAt(k)}
		if err := ages.period(ctx, &x, func(r Retention) int { return r.ClosedCase }); err != nil {
			return nil, err
		}
		if !x.Due.After(until) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Expiry) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// closedAt is when dossier k's retention period starts: its last move to
// closed (else its last change), or the coordinator's review after it.
func closedAt(k Case) time.Time {
	at := k.UpdatedAt
	for i := len(k.History) - 1; i >= 0; i-- {
		if k.History[i].To == StateClosed {
			at = k.History[i].At
			break
		}
	}
	if k.ReviewedAt.After(at) {
		return k.ReviewedAt
	}
	return at
}

// minorCache tells, once per person, whether they are a minor on the day of
// now, and sets an item's period by it.
type minorCache struct {
	s          *Service
	cell       *Cell
	now, until time.Time
	known      map[string]bool
}

// period sets x's Days, Minor and Due: the cell's period of, or
// minors.retention's where it names one and the person is a minor. Whether
// the person is a minor (their records opened) is asked only of an item
// the shorter period would make due by until: the others are not listed
// either way.
func (m *minorCache) period(ctx context.Context, x *Expiry, of func(Retention) int) error {
	x.Days = of(m.cell.Retention)
	if m.cell.Minors != nil && of(m.cell.Minors.Retention) > 0 &&
		!x.Since.UTC().AddDate(0, 0, of(m.cell.Minors.Retention)).After(m.until) {
		minor, err := m.minor(ctx, x.SubjectRef)
		if err != nil {
			return err
		}
		if minor {
			x.Days, x.Minor = of(m.cell.Minors.Retention), true
		}
	}
	x.Due = x.Since.UTC().AddDate(0, 0, x.Days)
	return nil
}

// minor reports whether the person is under minors.age on the day of now,
// from their records (MinorOn); a person whose records cannot be read (no
// key any more) is not.
func (m *minorCache) minor(ctx context.Context, ref string) (bool, error) {
	if v, ok := m.known[ref]; ok {
		return v, nil
	}
	wrapped, err := m.s.c.Store.ExistingDataKey(ctx, m.cell.ID, ref)
	if isNotFound(err) {
		m.known[ref] = false
		return false, nil
	}
	if err != nil {
		return false, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	sealed, err := m.s.c.Store.Records(ctx, m.cell.ID, ref)
	if err != nil && !isNotFound(err) {
		return false, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	recs, err := OpenRecords(m.s.c.Sealer, wrapped, m.cell.ID, ref, sealed)
	if err != nil {
		return false, err
	}
	v := MinorOn(recs, m.cell.Minors.Age, m.now)
	m.known[ref] = v
	return v, nil
}
