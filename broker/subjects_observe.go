package broker

import (
	"context"
	"errors"
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

// dataKey is the person's wrapped data key; a person never heard of or
// erased is the requester's 404.
func (s *Service) dataKey(ctx context.Context, livc, ref string) ([]byte, error) {
	wrapped, err := s.c.Store.ExistingDataKey(ctx, livc, ref)
	switch {
	case isNotFound(err):
		return nil, ErrNotFoundForRequester
	case err != nil:
		return nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return wrapped, nil
}

// LookupAnswer is a hit or no-hit: on a hit the person's subject ref, on a
// no-hit a random one that names nobody. No data.
type LookupAnswer struct {
	SubjectRef string `json:"subject_ref"`
	Known      bool   `json:"known"`
}

// Lookup answers POST /v1/subjects/lookup: whether the broker knows the
// person an encrypted identity names. It is an oracle, so it is for the
// operational table under case_conference only, audited (hit or no-hit in
// the reason, never the identity) and rate-limited per requesting person.
func (s *Service) Lookup(ctx context.Context, req *Request) (LookupAnswer, error) {
	c, err := s.begin(ctx, req, ActionSubjectLookup)
	if err != nil {
		return LookupAnswer{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return LookupAnswer{}, err
	}
	if err := s.c.LookupLimiter.Allow(req.Principal, s.c.Now()); err != nil {
		return LookupAnswer{}, c.fail(ctx, tooManyLookups(err))
	}
	in, err := openEnvelope(ctx, s, c, nil, func(plaintext []byte) (Identity, error) {
		return ParseLookup(c.cell, plaintext)
	})
	if err != nil {
		return LookupAnswer{}, err
	}
	id := in.value
	aliases := s.c.Pseudonyms.Aliases(c.cell.ID, id)
	if len(aliases) == 0 {
		return LookupAnswer{}, c.fail(ctx, Invalid("subject", "does not name a person"))
	}
	// A no-hit answers a random pseudonym: it says nothing of the person,
	// differs at each ask and is never the ref a later signal gets.
	ans := LookupAnswer{SubjectRef: NewSubjectRef()}
	ref, err := s.c.Store.FindSubject(ctx, c.cell.ID, aliases)
	switch {
	case err == nil:
		ans = LookupAnswer{SubjectRef: ref, Known: true}
	case !isNotFound(err):
		return LookupAnswer{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	if ans.Known {
		if _, err := s.c.Store.ExistingDataKey(ctx, c.cell.ID, ref); isNotFound(err) {
			ans = LookupAnswer{SubjectRef: NewSubjectRef()} // erased: its records no longer open
		}
	}
	c.entry.SubjectRef = ans.SubjectRef
	c.entry.Reason = "no-hit"
	if ans.Known {
		c.entry.Reason = "hit"
	}
	if err := c.allow(ctx); err != nil {
		return LookupAnswer{}, err
	}
	return ans, nil
}

// tooManyLookups is the refusal of a lookup over its limit, which says so:
// the limiter's detail speaks of requests in general.
func tooManyLookups(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRateLimited {
		return err
	}
	return &Error{Kind: KindRateLimited, Detail: "too many lookups; try again later", RetryAfter: e.RetryAfter, Err: e.Err}
}
