package broker

import (
	"context"
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
// decide, then one commit of the allow entry with the write (link the
// aliases, store a fresh data key if the person has none, the sealed record,
// the month's count). Any failure stores nothing and is audited.
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
	look, err := s.lookupSubject(ctx, c.cell.ID, aliases)
	if err != nil {
		return Receipt{}, c.fail(ctx, err)
	}
	ref := look.Ref
	fields := sig.IdentityFields()
	maps.Copy(fields, sig.Fields)
	rec := Record{
		ID: NewID("sig"), Kind: KindSignal, SubjectRef: ref,
		Source: c.actor.ID, Sub: req.Principal.Sub,
		ObservedAt: sig.ObservedAt.UTC(), ReceivedAt: s.c.Now().UTC(), Fields: fields,
	}
	c.entry.SubjectRef, c.entry.Record = ref, rec.ID
	c.entry.Released = slices.Sorted(maps.Keys(fields)) // the names submitted, never values
	replan := false
	err = c.write(ctx, maxReplans, func() (Write, error) {
		if replan { // another submission linked the person or gave it a key
			if look, err = s.lookupSubject(ctx, c.cell.ID, aliases); err != nil {
				return nil, err
			}
			ref, rec.SubjectRef, c.entry.SubjectRef = look.Ref, look.Ref, look.Ref
		}
		replan = true
		key, err := s.keyOrFresh(look.Wrapped)
		if err != nil {
			return nil, err
		}
		sealed, err := s.sealRecord(c.cell.ID, key.Wrapped, rec)
		if err != nil {
			return nil, err
		}
		return s.c.Store.PlanRecord(ctx, RecordWrite{Livc: c.cell.ID, Ref: ref, Aliases: aliases, Links: look.Links,
			Key: key, Record: sealed, Source: rec.Source, Month: rec.ReceivedAt.UTC().Format("2006-01")})
	})
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: rec.ID, SubjectRef: ref}, nil
}

// lookupSubject reads the ref the person already has (or the one it will
// get), its aliases' links and its data key, in one read. It only reads:
// linking is part of the write.
func (s *Service) lookupSubject(ctx context.Context, livc string, aliases []string) (SubjectLookup, error) {
	look, err := s.c.Store.LookupSubject(ctx, livc, aliases, s.c.Pseudonyms.SubjectRef(livc, aliases[0]))
	if err != nil {
		return SubjectLookup{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return look, nil
}

// keyOrFresh is the data key to seal under: the person's wrapped key, or a
// fresh one (Fresh) that the write stores while the person has none.
func (s *Service) keyOrFresh(wrapped []byte) (KeyUse, error) {
	if wrapped != nil {
		return KeyUse{Wrapped: wrapped}, nil
	}
	fresh, err := s.c.Sealer.NewDataKey()
	if err != nil {
		return KeyUse{}, Wrap(KindInternal, err, "a data key could not be made")
	}
	return KeyUse{Wrapped: fresh, Fresh: true}, nil
}

// keyFor returns the person's wrapped data key to seal under, or a fresh one
// (Fresh) that the write stores while the person has none. It only reads.
func (s *Service) keyFor(ctx context.Context, livc, ref string) (KeyUse, error) {
	wrapped, err := s.c.Store.ExistingDataKey(ctx, livc, ref)
	if err != nil && !isNotFound(err) {
		return KeyUse{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return s.keyOrFresh(wrapped)
}

// sealRecord seals rec under the wrapped data key, bound to its place.
func (s *Service) sealRecord(livc string, wrapped []byte, rec Record) (SealedRecord, error) {
	sealed, err := SealRecord(s.c.Sealer, wrapped, livc, rec)
	if err != nil {
		return SealedRecord{}, Wrap(KindInternal, err, "the record could not be sealed")
	}
	return sealed, nil
}

// recordAD binds a sealed record to its place, so that a record moved to
// another person or cell in the store does not open.
func recordAD(livc, ref, id string) []byte {
	return []byte("livc-record-v1\x00" + livc + "\x00" + ref + "\x00" + id)
}
