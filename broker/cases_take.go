package broker

import (
	"context"
	"slices"
	"strings"
)

// TakeSignalsRequest is the body of POST /v1/cases/{id}/signals.
type TakeSignalsRequest struct {
	SignalIDs []string `json:"signal_ids"`
}

// maxCaseSignals bounds the signals one dossier holds, so that its document
// stays small.
const maxCaseSignals = 1000

// TakeSignals answers POST /v1/cases/{id}/signals: the coordinator takes
// more signals about the dossier's person into the open dossier. Each must
// be in the intake in state received and about the dossier's person; any
// other (another person's, unknown, held, dismissed, withdrawn, already in
// a dossier) is refused (422 naming signal_ids and its index) and nothing
// is written. On success every listed signal is in_dossier with the
// dossier's id, in one commit with the allow entry, and the answer is the
// dossier as the coordinator reads it (releaseView).
//
// Steps: authenticate, load the dossier and decide without a target (the
// coordinator, on an open dossier; judgeCase), the body, the signals
// against the intake, one commit of the allow entry with the dossier and
// the signals' moves.
func (s *Service) TakeSignals(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, k, in, err := openCase[TakeSignalsRequest](ctx, s, req, ActionCaseTakeSignals, caseID)
	if err != nil {
		return CaseView{}, err
	}
	taken, err := s.signalsToTake(ctx, c, k, in.SignalIDs)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if len(k.SignalIDs)+len(taken) > maxCaseSignals {
		return CaseView{}, c.fail(ctx, Errorf(KindConflict, "a dossier holds at most %d signals", maxCaseSignals))
	}
	next := k.clone()
	next.SignalIDs = append(next.SignalIDs, in.SignalIDs...)
	next.UpdatedAt = s.c.Now().UTC()
	c.entry.Reason = "signals " + strings.Join(in.SignalIDs, ",") + ": state " + SignalReceived + " -> " + SignalInDossier
	v, err := s.releaseView(ctx, c, next)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	err = c.write(ctx, 1, func() (Write, error) { return s.c.Store.PlanTakeSignals(ctx, k, next, taken) })
	if err != nil {
		return CaseView{}, err
	}
	return v, nil
}

// signalsToTake checks the listed ids (1 to 100, well formed, none twice)
// and reads each from the intake: it must be received and about dossier
// k's person. Every refusal is the same 422 naming signal_ids and the index:
// the coordinator reads the intake anyway, and the detail tells no more.
func (s *Service) signalsToTake(ctx context.Context, c *call, k Case, ids []string) ([]SignalEntry, error) {
	if len(ids) == 0 || len(ids) > 100 {
		return nil, Invalid("signal_ids", "must list from 1 to 100 signal ids")
	}
	out := make([]SignalEntry, 0, len(ids))
	for i, id := range ids {
		if !ValidRecordID(id) || !strings.HasPrefix(id, "sig_") || slices.Index(ids, id) != i {
			return nil, Invalid("signal_ids", "signal_ids[%d] is a malformed or repeated signal id", i)
		}
		e, err := s.c.Store.Signal(ctx, c.cell.ID, id)
		if err != nil && !isNotFound(err) {
			return nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		if err != nil || e.State != SignalReceived || e.SubjectRef != k.SubjectRef {
			return nil, Invalid("signal_ids", "signal_ids[%d] is not a received signal of the intake about this dossier's person", i)
		}
		out = append(out, e)
	}
	return out, nil
}
