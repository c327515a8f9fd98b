package broker

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
)

// Receipt answers a submission.
type Receipt struct {
	ID         string `json:"id"`
	SubjectRef string `json:"subject_ref,omitempty"`
}

// SubmitSignal takes a signal encrypted to the broker, links its person to a
// subject ref and stores it sealed at rest.
//
// Steps: authenticate, open the envelope, validate against the catalogue,
// decide, audit, store. Any failure before the audit stores nothing; a
// failure after it is audited as an error.
func (s *Service) SubmitSignal(ctx context.Context, req *Request) (Receipt, error) {
	c, err := s.begin(ctx, req, "signal.submit")
	if err != nil {
		return Receipt{}, err
	}
	envelope, err := c.body(ctx)
	if err != nil {
		return Receipt{}, err
	}
	plaintext, err := s.c.Envelopes.Open(envelope, s.c.MaxPlaintext)
	if err != nil {
		return Receipt{}, c.fail(ctx, Wrap(KindBadRequest, err, "the body is not an age envelope this broker can open"))
	}
	sig, err := ParseSignal(c.cell, plaintext, s.c.Now())
	if err != nil {
		return Receipt{}, c.fail(ctx, err)
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Receipt{}, err
	}
	aliases := s.c.Pseudonyms.Aliases(c.cell.ID, sig.Subject)
	if len(aliases) == 0 {
		return Receipt{}, c.fail(ctx, Invalid("subject", "does not name a person"))
	}
	ref, err := s.subjectRef(ctx, c.cell.ID, aliases)
	if err != nil {
		return Receipt{}, c.fail(ctx, err)
	}
	fields := sig.IdentityFields()
	maps.Copy(fields, sig.Fields)
	rec := Record{
		ID: NewID("sig"), Kind: KindSignal, SubjectRef: ref,
		Source: c.actor.ID, Sub: req.Principal.Sub,
		ObservedAt: sig.ObservedAt.UTC(), ReceivedAt: s.c.Now().UTC(), Fields: fields,
	}
	c.entry.SubjectRef, c.entry.Record = ref, rec.ID
	c.entry.Released = slices.Sorted(maps.Keys(fields)) // the names submitted, never values
	if err := c.allow(ctx); err != nil {
		return Receipt{}, err
	}
	if err := s.store(ctx, c.cell.ID, aliases, rec); err != nil {
		return Receipt{}, c.failAfterAllow(ctx, err, "the signal could not be stored")
	}
	s.countSignal(ctx, c.cell.ID, rec.ReceivedAt)
	return Receipt{ID: rec.ID, SubjectRef: ref}, nil
}

// subjectRef returns the ref the person already has, or the one it will get.
// It only reads: linking is a write and waits for the audit entry.
func (s *Service) subjectRef(ctx context.Context, livc string, aliases []string) (string, error) {
	ref, err := s.c.Store.FindSubject(ctx, livc, aliases)
	if err == nil {
		return ref, nil
	}
	if !isNotFound(err) {
		return "", Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return s.c.Pseudonyms.SubjectRef(livc, aliases[0]), nil
}

// store links the aliases, makes sure the person has a data key and stores
// the record sealed under it.
func (s *Service) store(ctx context.Context, livc string, aliases []string, rec Record) error {
	ref, err := s.c.Store.LinkSubject(ctx, livc, aliases, rec.SubjectRef)
	if err != nil {
		return err
	}
	if ref != rec.SubjectRef {
		// Another submission linked one of these aliases in between; keep
		// the person whole under the ref that won.
		rec.SubjectRef = ref
	}
	wrapped, err := s.dataKey(ctx, livc, ref, true)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	sealed, err := s.c.Sealer.Seal(wrapped, recordAD(livc, ref, rec.ID), plain)
	if err != nil {
		return err
	}
	return s.c.Store.PutRecord(ctx, livc, ref, SealedRecord{ID: rec.ID, Sealed: sealed})
}

// dataKey returns the person's wrapped data key, creating one if asked.
func (s *Service) dataKey(ctx context.Context, livc, ref string, create bool) ([]byte, error) {
	wrapped, err := s.c.Store.ExistingDataKey(ctx, livc, ref)
	if err == nil || !isNotFound(err) || !create {
		return wrapped, err
	}
	fresh, err := s.c.Sealer.NewDataKey()
	if err != nil {
		return nil, err
	}
	return s.c.Store.DataKey(ctx, livc, ref, fresh)
}

// recordAD binds a sealed record to its place, so that a record moved to
// another person or cell in the store does not open.
func recordAD(livc, ref, id string) []byte {
	return []byte("livc-record-v1\x00" + livc + "\x00" + ref + "\x00" + id)
}
