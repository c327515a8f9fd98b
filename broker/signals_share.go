package broker

import (
	"context"
	"slices"
	"strings"
)

// Deliberate sharing (README rule 8, art. 458ter of the Criminal Code): a
// record of an actor type under the cell's secrecy reaches a dossier's
// roster only once its submitter shares it with that dossier. Sharing is
// the submitting organisation's act: nobody else can do it for them.

// ShareRequest is the body of POST /v1/signals/{id}/shares.
type ShareRequest struct {
	CaseID string `json:"case_id"`
}

// ShareReceipt answers a share: the record and the dossier it is shared
// with from now on. New is false when it was shared with it before (the
// answer is then 200, not 201, and nothing is written).
type ShareReceipt struct {
	ID     string `json:"id"`
	CaseID string `json:"case_id"`
	New    bool   `json:"-"`
}

// maxCaseShares bounds the records shared with one dossier, so that its
// document stays small (as maxCaseSignals bounds its signals).
const maxCaseShares = 2000

// ShareSignal answers POST /v1/signals/{id}/shares: the submitting actor
// shares its own record (a signal, or an observation) with a dossier on
// whose open roster it sits. From then on the cards of that dossier's
// roster draw on it (subjects_reach.go), never before, and no other dossier's.
//
// Steps, in the order of judgment: authenticate and the purpose (begin); a
// signal not the requester's own is the uniform 404; decide without the
// dossier (403: may the requester share at all); the body (400/422, a
// case_id required); the dossier (an unknown one, or one the requester may
// not see, the uniform 404; one it sees off its roster 403); whether the
// record is in the dossier (409 while the signal is in no dossier yet, 422
// naming case_id for a record another dossier holds or that is not in this
// one); one commit of the allow entry (signal.share, naming the record and
// the dossier) with the dossier's new share list.
func (s *Service) ShareSignal(ctx context.Context, req *Request, id string) (ShareReceipt, error) {
	c, err := s.begin(ctx, req, ActionSignalShare)
	if err != nil {
		return ShareReceipt{}, err
	}
	e, isSignal, err := s.ownRecord(ctx, c, id)
	if err != nil {
		return ShareReceipt{}, s.refuseMissing(ctx, c, err)
	}
	c.entry.Record = id
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return ShareReceipt{}, err
	}
	body, err := c.body(ctx)
	if err != nil {
		return ShareReceipt{}, err
	}
	var in ShareRequest
	if err := decodeBody(body, &in); err != nil {
		return ShareReceipt{}, c.fail(ctx, err)
	}
	if !ValidCaseID(in.CaseID) {
		return ShareReceipt{}, c.fail(ctx, Invalid("case_id", "must be a dossier id"))
	}
	k, err := s.loadCase(ctx, c, in.CaseID)
	if err != nil {
		return ShareReceipt{}, c.fail(ctx, err)
	}
	if _, err := c.decideOnCase(ctx, k, map[string]any{"record": id}); err != nil {
		return ShareReceipt{}, err
	}
	if isSignal {
		err = signalInDossier(e, k)
	} else {
		err = s.observationInDossier(ctx, c, id, k)
	}
	if err != nil {
		return ShareReceipt{}, c.fail(ctx, err)
	}
	return s.commitShare(ctx, c, k, id)
}

// commitShare adds record id to dossier k's shares in one commit with the
// allow entry; a record shared before is allowed again, audited, and
// nothing is written.
func (s *Service) commitShare(ctx context.Context, c *call, k Case, id string) (ShareReceipt, error) {
	rc := ShareReceipt{ID: id, CaseID: k.ID}
	c.entry.Released = []string{"case_id", "id"}
	if slices.Contains(k.Shared, id) {
		c.entry.Reason = "record " + id + " already shared with dossier " + k.ID
		if err := c.allow(ctx); err != nil {
			return ShareReceipt{}, err
		}
		return rc, nil
	}
	if len(k.Shared) >= maxCaseShares {
		return ShareReceipt{}, c.fail(ctx, Errorf(KindConflict, "a dossier holds at most %d shared records", maxCaseShares))
	}
	next := k.clone()
	next.Shared = append(next.Shared, id)
	next.UpdatedAt = s.c.Now().UTC()
	c.entry.Reason = "record " + id + " shared with dossier " + k.ID + " (art. 458ter)"
	if err := s.updateCase(ctx, c, k, next, KeyUse{}); err != nil {
		return ShareReceipt{}, err
	}
	rc.New = true
	return rc, nil
}

// ownRecord reads what the share needs of record id before the body: for a
// signal, its intake entry, which must be the requester's actor's (else the
// uniform 404); for an observation (obs_), only that the id is well formed:
// whose it is is read against the dossier's person (observationInDossier),
// since the store finds an observation only under its person.
func (s *Service) ownRecord(ctx context.Context, c *call, id string) (SignalEntry, bool, error) {
	if ValidRecordID(id) && strings.HasPrefix(id, "obs_") {
		return SignalEntry{}, false, nil
	}
	e, err := s.signal(ctx, c, id)
	// A withdrawn or corrected signal has no record left to share.
	if err == nil && (e.Source != c.actor.ID || e.State == SignalWithdrawn || e.State == SignalCorrected) {
		c.entry.SubjectRef = ""
		err = ErrNotFoundForRequester
	}
	if err != nil {
		return SignalEntry{}, false, err
	}
	return e, true, nil
}

// signalInDossier refuses a signal that dossier k does not hold: 409 while
// it is in no dossier (the coordinator has not taken it in), 422 naming
// case_id when it is in another.
func signalInDossier(e SignalEntry, k Case) error {
	switch {
	case e.State == SignalInDossier && e.CaseID == k.ID && slices.Contains(k.SignalIDs, e.ID):
		return nil
	case e.State != SignalInDossier:
		return Errorf(KindConflict, "the signal is %s, in no dossier: the coordinator takes it into one first", submitterState(e.State))
	}
	return Invalid("case_id", "names a dossier the signal is not in")
}

// observationInDossier checks that observation id is the requester's
// actor's, about dossier k's person (else the uniform 404), and was
// received while k was open (else 422 naming case_id: it never went to
// that dossier).
func (s *Service) observationInDossier(ctx context.Context, c *call, id string, k Case) error {
	data, err := s.readScope(ctx, c.cell.ID, k.SubjectRef, c.actor.ID)
	if err != nil {
		return err
	}
	if !slices.Contains(data.Own, id) || data.Wrapped == nil {
		return ErrNotFoundForRequester
	}
	sealed, err := s.c.Store.SealedRecords(ctx, c.cell.ID, k.SubjectRef, []string{id})
	if err != nil {
		return Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if len(sealed) != 1 {
		return ErrNotFoundForRequester
	}
	rec, err := OpenRecord(s.c.Sealer, data.Wrapped, c.cell.ID, k.SubjectRef, sealed[0])
	if err != nil {
		return err
	}
	if rec.Kind != KindObservation || rec.Source != c.actor.ID {
		return ErrNotFoundForRequester
	}
	if !reaches(rec, DossierRoster{ID: k.ID, State: k.State, CreatedAt: k.CreatedAt}) {
		return Invalid("case_id", "names a dossier the observation is not in (it was made before the dossier was opened)")
	}
	return nil
}
