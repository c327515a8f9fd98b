package broker

import (
	"context"
	"maps"
	"slices"
)

// SubmitObservation records what an actor observed about a person the
// broker knows by subject ref (POST /v1/subjects/{ref}/observations): any
// actor of the cell, under signal. Only fields of the catalogue, never an
// identity field. The record is sealed under the person's data key and
// merged into the card like any record, with its source and record id.
//
// Steps, in the order of judgment: authenticate, the person (the same 404
// as everywhere when unknown or erased), decide, open the envelope (an
// envelope sent before answers the record it made to its submitter and
// 409 to anyone else), validate, then one commit of the allow entry with
// the record and the envelope's binding, planned while the person's data
// key is the one it is sealed under.
func (s *Service) SubmitObservation(ctx context.Context, req *Request, ref string) (Receipt, error) {
	c, err := s.begin(ctx, req, ActionObservationSubmit)
	if err != nil {
		return Receipt{}, err
	}
	if !ValidSubjectRef(ref) {
		return Receipt{}, c.fail(ctx, ErrNotFoundForRequester)
	}
	c.entry.SubjectRef = ref
	if _, err := s.dataKey(ctx, c.cell.ID, ref); err != nil {
		return Receipt{}, c.fail(ctx, err)
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Receipt{}, err
	}
	in, err := openEnvelope(ctx, s, c, &submission{ref: ref}, func(plaintext []byte) (Observation, error) {
		return ParseObservation(c.cell, plaintext, s.c.Now())
	})
	if err != nil || in.repeated {
		return in.repeat, err
	}
	obs, digest := in.value, in.digest
	rec := Record{
		ID: NewID("obs"), Kind: KindObservation, SubjectRef: ref,
		Source: c.actor.ID, Sub: req.Principal.Sub,
		ObservedAt: obs.ObservedAt.UTC(), ReceivedAt: s.c.Now().UTC(), Fields: obs.Fields,
	}
	c.entry.Record = rec.ID
	c.entry.Released = slices.Sorted(maps.Keys(obs.Fields)) // names, never values
	// The first plan follows repost's check of the envelope.
	replan := false
	err = c.write(ctx, maxReplans, func() (Write, error) {
		if replan {
			if err := s.unbound(ctx, c.cell.ID, digest); err != nil {
				return nil, err
			}
		}
		replan = true
		wrapped, err := s.dataKey(ctx, c.cell.ID, ref)
		if err != nil {
			return nil, err
		}
		sealed, err := s.sealRecord(c.cell.ID, wrapped, rec)
		if err != nil {
			return nil, err
		}
		return s.c.Store.PlanRecord(ctx, RecordWrite{Livc: c.cell.ID, Ref: ref,
			Key: KeyUse{Wrapped: wrapped}, Record: sealed, Source: rec.Source,
			Envelope: &EnvelopeBinding{Digest: digest, Submitter: c.actor.ID, Record: rec.ID, SubjectRef: ref}})
	})
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: rec.ID}, nil
}
