package store

import (
	"context"
	"errors"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
)

// Correcting a signal (README rule 11): a new signal replaces its
// submitter's earlier one, in one write.

var _ broker.CorrectionPlanner = (*Store)(nil)

// PlanCorrect plans signal old, as read, being replaced by the record of
// w (a signal of the same person and submitter): old's record deleted and
// its envelope spent as a withdrawal does, its intake state corrected; the
// new record stored with its envelope's binding and its intake entry in
// old's state (and dossier); and, when old is in a dossier, the dossier
// prev, as loaded, becoming next (which lists the new signal where it
// listed old). It holds while everything it was planned from stands: old's
// state and the person's lists as read (planWithdraw), the new record's id
// and envelope unused, the data key, and the dossier byte for byte prev.
// The withdrawal's ops run before the new record's, so that the lists it
// rewrites as read get the new record appended after.
func (s *Store) PlanCorrect(ctx context.Context, old broker.SignalEntry, w broker.RecordWrite, prev, next *broker.Case) (broker.Write, error) {
	if w.Intake == nil || w.Ref != old.SubjectRef || w.Source != old.Source || len(w.Aliases) > 0 || w.Month != "" ||
		w.Intake.State != old.State || w.Intake.CaseID != old.CaseID || (prev == nil) != (next == nil) {
		return nil, errors.New("store: plan correct: the new signal does not take the old one's place")
	}
	write, err := s.planWithdraw(ctx, w.Livc, old, broker.SignalCorrected)
	if err != nil {
		return nil, err
	}
	rec, err := s.PlanRecord(ctx, w)
	if err != nil {
		return nil, err
	}
	// The withdrawal counts one indexed record less and the new record one
	// more: a plan may not both set and increment a counter, and the two
	// cancel out.
	sp, _ := subjectPrefix(w.Livc, w.Ref) // valid: planWithdraw used it
	stored := rec.(*plan.Plan)
	if dropOps(write, func(o plan.Op) bool { return o.Cmd == "SET" && o.Key == sp+"indexed" }) {
		dropOps(stored, func(o plan.Op) bool { return o.Cmd == "INCR" && o.Key == sp+"indexed" })
	}
	appendPlan(write, stored)
	if old.CaseID != "" {
		p, _ := cellPrefix(w.Livc)
		write.Do("HSET", p+"signal:"+w.Record.ID, "case_id", old.CaseID)
	}
	if prev != nil {
		k, err := s.planUpdateCase(ctx, *prev, *next, broker.KeyUse{})
		if err != nil {
			return nil, err
		}
		appendPlan(write, k)
	}
	return write, write.Validate()
}

// dropOps removes the ops of p that drop selects, the refs of the others
// renumbered; it reports whether it removed any. An op that takes the reply
// of a removed one is a caller's bug: the plan then fails to validate.
func dropOps(p *plan.Plan, drop func(plan.Op) bool) bool {
	place := make([]int, len(p.Ops)+1) // old 1-based place -> new, 0 for gone
	kept := p.Ops[:0:0]
	for i, o := range p.Ops {
		if drop(o) {
			continue
		}
		if o.Ref > 0 {
			o.Ref = place[o.Ref]
			if o.Ref == 0 {
				o.Ref = -1
			}
		}
		kept = append(kept, o)
		place[i+1] = len(kept)
	}
	removed := len(kept) != len(p.Ops)
	p.Ops = kept
	return removed
}

// appendPlan adds b's checks and ops to a's, after a's own: b's ops that
// take an earlier op's reply name it at its new place.
func appendPlan(a, b *plan.Plan) {
	a.Checks = append(a.Checks, b.Checks...)
	offset := len(a.Ops)
	for _, o := range b.Ops {
		if o.Ref > 0 {
			o.Ref += offset
		}
		a.Ops = append(a.Ops, o)
	}
}
