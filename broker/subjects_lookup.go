package broker

import (
	"context"
	"errors"
)

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
