package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The broker erases what its retention schedule says is due, on a schedule
// of its own (RunRetention). Nothing of it is kept in memory: each run
// computes the schedule from the store, so a restart loses nothing and a
// run missed is made up by the next. With several brokers on one store,
// each run of a cell is claimed in the store (ClaimRetention), and each
// expiry is one commit whose plan holds only while its item is as read: an
// item is expired, and audited, once.

// retentionClaim bounds how long one broker's claim on a cell's run lasts
// when it cannot give it up (a crash); a run that takes longer is still
// safe, for every expiry checks its item at commit.
const retentionClaim = 5 * time.Minute

// RunRetention runs ExpireDue every every until ctx ends, first at once.
// Errors are logged; the next run tries again.
func (s *Service) RunRetention(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.ExpireDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.c.Logger.Error("retention run failed; what is due is erased at the next run", "err", err)
		case n > 0:
			s.c.Logger.Info("retention: expired items erased", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ExpireDue erases, in every cell, the items whose retention has ended by
// the service's clock, and returns how many it erased. A cell whose run
// another broker holds is left to it.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	gen := s.gen.Load()
	total := 0
	var first error
	for _, id := range s.CellIDs() {
		n, err := s.expireCell(ctx, gen.cells[id])
		total += n
		if err != nil && first == nil {
			first = fmt.Errorf("cell %s: %w", id, err)
		}
	}
	return total, first
}

// expireCell runs one cell's expiry under the cell's claim.
func (s *Service) expireCell(ctx context.Context, cell *Cell) (int, error) {
	release, ok, err := s.c.Store.ClaimRetention(ctx, cell.ID, retentionClaim)
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	now := s.c.Now().UTC()
	due, err := s.schedule(ctx, cell, now, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, x := range due {
		// One item that cannot be expired (a store error, a malformed
		// entry) does not hold the others back; the run reports it.
		done, err := s.expire(ctx, cell, x)
		if err != nil && first == nil {
			first = fmt.Errorf("%s %s: %w", x.Kind, x.ID, err)
		}
		if done {
			n++
		}
	}
	return n, first
}

// expire erases one item in one commit with its retention.expire entry,
// filed under the broker itself, crypto-shredded like an erasure: the
// person erased when nothing of them is left, else re-keyed without it
// (rekeyWithout), and the old data key forgotten in memory. An item changed or gone since the schedule
// was read (taken into a dossier, reopened, expired by another broker) is
// left as it is: the next run judges it again. It reports whether the item
// was erased.
func (s *Service) expire(ctx context.Context, cell *Cell, x Expiry) (bool, error) {
	x.At = s.c.Now().UTC()
	var old []byte // the data key a re-keying replaces
	rekey := func(removed, cases []string) (Rekey, error) {
		rk, err := s.rekeyWithout(ctx, cell.ID, x.SubjectRef, removed, cases)
		old = rk.Was.Wrapped
		return rk, err
	}
	w, wrapped, err := s.c.Store.PlanExpire(ctx, cell.ID, x, rekey)
	if isNotFound(err) || errors.Is(err, ErrStale) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e := AuditEntry{
		ID: NewID("aud"), Time: s.c.Now().UTC(), RequestID: NewID("req"),
		Livc: cell.ID, Actor: "livc-broker", Action: ActionRetentionExpire,
		SubjectRef: x.SubjectRef, Decision: DecisionAllow, Released: []string{}, Withheld: []string{},
		Reason: expiryReason(x, wrapped != nil, old != nil),
	}
	if x.Kind == ExpiryCase {
		e.CaseID = x.ID
	} else {
		e.Record = x.ID
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditDetached)
	defer cancel()
	if err := s.c.Audit.Commit(cctx, &e, w); err != nil {
		if errors.Is(err, ErrStale) || KindOf(err) == KindConflict {
			return false, nil
		}
		return false, err
	}
	if f, ok := s.c.Sealer.(KeyForgetter); ok {
		for _, k := range [][]byte{wrapped, old} {
			if len(k) > 0 {
				f.Forget(k)
			}
		}
	}
	return true, nil
}

// expiryReason is the audit entry's value-free account of an expiry: the
// person shredded (nothing left) or rekeyed (the rest re-sealed).
func expiryReason(x Expiry, shredded, rekeyed bool) string {
	what := "signal " + x.ID + " (" + x.Signal.State + ")"
	if x.Kind == ExpiryCase {
		what = "closed dossier " + x.ID + " with signals " + strings.Join(x.Case.SignalIDs, ",")
	}
	r := fmt.Sprintf("%s: %d days since %s", what, x.Days, x.Since.UTC().Format(time.DateOnly))
	if x.Minor {
		r += " (minors.retention)"
	}
	if shredded {
		r += "; nothing left of the person: crypto-shredded"
	}
	if rekeyed {
		r += "; the person re-keyed: crypto-shredded"
	}
	return r
}
