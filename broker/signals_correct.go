package broker

import (
	"context"
	"maps"
	"slices"
)

// Correcting a signal (README rule 11): its submitter sends a new signal
// that replaces its own earlier one. The broker keeps one source of truth
// (rule 3): the earlier record is deleted as a withdrawal deletes it, so its
// values leave every card at once, and the new one takes its place (its
// state, its dossier, its shares), so the correction reaches wherever the
// earlier one had.

// CorrectionPlanner plans a correction (the Redis store implements it).
type CorrectionPlanner interface {
	// PlanCorrect plans signal old, as read, replaced by the record of w:
	// old's record deleted, its envelope spent and its intake state
	// corrected; w stored with its intake entry in old's state and
	// dossier; and, when old is in a dossier, the dossier prev, as loaded,
	// becoming next. It holds while all of that stands as read (else
	// ErrStale) and w's id and envelope are unused (else KindConflict).
	PlanCorrect(ctx context.Context, old SignalEntry, w RecordWrite, prev, next *Case) (Write, error)
}

// correctable are the states of a signal its submitter may correct: one
// the coordinator has not yet decided on (held ones too, which their
// submitter sees as received), or one in a dossier.
var correctable = []string{SignalReceived, SignalHeld, SignalInDossier}

// CorrectSignal answers POST /v1/signals/{id}/correction: the submitting
// actor replaces its signal id by the signal in the body (an age envelope,
// as for POST /v1/signals), which must name the person the same way id
// did. One audit entry (signal.correct) names both: the new record, and
// the corrected one in its reason.
//
// Steps, in the order of judgment: authenticate and the purpose; a signal
// not the requester's own is the uniform 404; decide; open the envelope (an
// envelope sent before answers the record it made to its submitter, 409 to
// anyone else); the state (409 unless received, held or in_dossier); validate
// the signal (422), the person (422 naming subject unless it names the
// person as the corrected signal did: a correction does not move a signal
// to another person, and comparing what the submitter gave twice tells it
// nothing it did not know); then one commit of the allow entry with the
// correction (PlanCorrect).
func (s *Service) CorrectSignal(ctx context.Context, req *Request, id string) (Receipt, error) {
	c, err := s.begin(ctx, req, ActionSignalCorrect)
	if err != nil {
		return Receipt{}, err
	}
	old, err := s.signal(ctx, c, id)
	if err == nil && old.Source != c.actor.ID {
		c.entry.SubjectRef = ""
		err = ErrNotFoundForRequester
	}
	if err != nil {
		return Receipt{}, s.refuseMissing(ctx, c, err)
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Receipt{}, err
	}
	in, err := openEnvelope(ctx, s, c, &submission{ref: old.SubjectRef}, func(p []byte) ([]byte, error) { return p, nil })
	if in.repeated {
		return in.repeat, err
	}
	if err != nil {
		return Receipt{}, err
	}
	plaintext, digest := in.value, in.digest
	if !slices.Contains(correctable, old.State) {
		return Receipt{}, c.fail(ctx, Errorf(KindConflict, "a %s signal cannot be corrected", submitterState(old.State)))
	}
	rec, err := s.correction(ctx, c, old, plaintext)
	if err != nil {
		return Receipt{}, c.fail(ctx, err)
	}
	c.entry.Record = rec.ID
	c.entry.Released = slices.Sorted(maps.Keys(rec.Fields)) // the names submitted, never values
	c.entry.Reason = "corrects " + old.ID + ": state " + old.State + " -> " + SignalCorrected
	if old.CaseID != "" {
		c.entry.CaseID = old.CaseID
	}
	err = c.write(ctx, maxReplans, func() (Write, error) { return s.planCorrect(ctx, c, old, rec, digest) })
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: rec.ID}, nil
}

// correction parses the new signal and checks that it names the person as
// old's record does; it returns the new record, in old's place.
func (s *Service) correction(ctx context.Context, c *call, old SignalEntry, plaintext []byte) (Record, error) {
	sig, err := ParseSignal(c.cell, plaintext, s.c.Now())
	if err != nil {
		return Record{}, err
	}
	prev, err := s.ownSignalRecord(ctx, c, old)
	if err != nil {
		return Record{}, err
	}
	identity := sig.IdentityFields()
	for _, k := range []string{keyNationalNumber, keyFamilyName, keyGivenName, keyBirthDate} {
		if prev.Fields[k] != identity[k] {
			return Record{}, Invalid("subject", "must name the person as the corrected signal did; to name another, withdraw it and submit anew")
		}
	}
	fields := identity
	maps.Copy(fields, sig.Fields)
	return Record{
		ID: NewID("sig"), Kind: KindSignal, SubjectRef: old.SubjectRef, Source: c.actor.ID, Sub: c.req.Principal.Sub,
		ObservedAt: sig.ObservedAt.UTC(), ReceivedAt: s.c.Now().UTC(), Fields: fields,
	}, nil
}

// ownSignalRecord opens the record of signal e, the requester's own; gone
// meanwhile, it is the uniform 404.
func (s *Service) ownSignalRecord(ctx context.Context, c *call, e SignalEntry) (Record, error) {
	wrapped, err := s.dataKey(ctx, c.cell.ID, e.SubjectRef)
	if err != nil {
		return Record{}, err
	}
	sealed, err := s.c.Store.SealedRecords(ctx, c.cell.ID, e.SubjectRef, []string{e.ID})
	if err != nil {
		return Record{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if len(sealed) != 1 {
		return Record{}, ErrNotFoundForRequester
	}
	rec, err := OpenRecord(s.c.Sealer, wrapped, c.cell.ID, e.SubjectRef, sealed[0])
	if err != nil {
		return Record{}, err
	}
	if rec.Source != c.actor.ID || rec.Kind != KindSignal {
		return Record{}, ErrNotFoundForRequester
	}
	return rec, nil
}

// planCorrect plans the correction afresh: the person's key, the dossier
// old is in (which lists rec where it listed old, in its signals and its
// shares), and the store's plan.
func (s *Service) planCorrect(ctx context.Context, c *call, old SignalEntry, rec Record, digest string) (Write, error) {
	planner, ok := s.c.Store.(CorrectionPlanner)
	if !ok {
		return nil, Errorf(KindInternal, "this store cannot correct a signal")
	}
	wrapped, err := s.dataKey(ctx, c.cell.ID, old.SubjectRef)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealRecord(c.cell.ID, wrapped, rec)
	if err != nil {
		return nil, err
	}
	var prev, next *Case
	if old.CaseID != "" {
		k, err := s.c.Store.Case(ctx, c.cell.ID, old.CaseID)
		if err != nil {
			return nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		n := k.clone()
		n.SignalIDs, n.Shared = replaced(n.SignalIDs, old.ID, rec.ID), replaced(n.Shared, old.ID, rec.ID)
		n.UpdatedAt = rec.ReceivedAt
		prev, next = &k, &n
	}
	w := RecordWrite{Livc: c.cell.ID, Ref: old.SubjectRef, Key: KeyUse{Wrapped: wrapped}, Record: sealed, Source: rec.Source,
		Intake: &SignalEntry{ID: rec.ID, SubjectRef: old.SubjectRef, Source: rec.Source, ReceivedAt: rec.ReceivedAt,
			ObservedAt: rec.ObservedAt, State: old.State, CaseID: old.CaseID},
		Envelope: &EnvelopeBinding{Digest: digest, Submitter: c.actor.ID, Record: rec.ID, SubjectRef: old.SubjectRef}}
	return planner.PlanCorrect(ctx, old, w, prev, next)
}

// replaced returns ids with old replaced by new, in place.
func replaced(ids []string, old, new string) []string {
	for i, id := range ids {
		if id == old {
			ids[i] = new
		}
	}
	return ids
}
