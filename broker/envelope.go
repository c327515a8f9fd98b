package broker

import "context"

// Every request that brings an age envelope (a signal, an observation, a
// lookup, an audit report by identity) opens it through openEnvelope.
//
// Envelopes are bound to their submitter.
//
// A copy of an envelope, captured on its way or from a log, must give its
// holder nothing: re-posted by another actor it would become that actor's
// own submission, and the "own submissions" rule would show it its values.
// So the cell keeps, per envelope digest (EnvelopeOpener.Digest), who
// submitted it and the record it made: the same envelope from its submitter
// is that record again (nothing stored twice), from anyone else a 409 that
// tells nothing of it. Erasing the record leaves the digest spent, bound to
// no one, so that an old copy never makes a record again.

// errReplayed is the refusal of an envelope submitted before by another
// actor, or whose record is gone.
var errReplayed = Errorf(KindConflict, "this envelope was submitted already; encrypt the submission again to send it")

// opened is what a request's body brought, as openEnvelope found it.
type opened[T any] struct {
	value  T      // the plaintext, parsed
	digest string // the envelope's digest, for a submission
	// repeated marks a submission its submitter had sent before: repeat
	// is the answer (repost), and value is unset.
	repeated bool
	repeat   Receipt
}

// submission marks an envelope bound to its submitter (see above), about
// the person of ref ("" for a signal, which names its person inside).
type submission struct{ ref string }

// openEnvelope reads the request body, opens it as an age envelope to the
// broker and parses its plaintext with parse, in that order; every refusal
// is audited. For a submission (sub set), the envelope's digest is taken
// once it opens, and an envelope sent before is answered (repost) before
// its plaintext is parsed, whatever the catalogue says now.
func openEnvelope[T any](ctx context.Context, s *Service, c *call, sub *submission, parse func(plaintext []byte) (T, error)) (opened[T], error) {
	var out opened[T]
	envelope, err := c.body(ctx)
	if err != nil {
		return out, err
	}
	plaintext, err := s.c.Envelopes.Open(envelope, s.c.MaxPlaintext)
	if err != nil {
		return out, c.fail(ctx, errNotAnEnvelope(err))
	}
	if sub != nil {
		if out.digest, err = s.c.Envelopes.Digest(envelope); err != nil {
			return out, c.fail(ctx, errNotAnEnvelope(err))
		}
		if rc, done, err := s.repost(ctx, c, out.digest, sub.ref); done {
			out.repeated, out.repeat = true, rc
			return out, err
		}
	}
	if out.value, err = parse(plaintext); err != nil {
		return out, c.fail(ctx, err)
	}
	return out, nil
}

func errNotAnEnvelope(cause error) error {
	return Wrap(KindBadRequest, cause, "the body is not an age envelope this broker can open")
}

// repost answers an envelope the cell has seen before (done): to its
// submitter, about the same person (ref, "" for a signal), the record it
// made, audited as an allow of its own action (signal.repeat,
// observation.repeat: the record's one submit entry stays the only one
// that names it); to anyone else, or once that record is erased, 409,
// audited with the record replayed, for the privacy officer. An envelope
// never seen is not done.
func (s *Service) repost(ctx context.Context, c *call, digest, ref string) (rc Receipt, done bool, err error) {
	b, err := s.c.Store.EnvelopeBinding(ctx, c.cell.ID, digest)
	switch {
	case isNotFound(err):
		return Receipt{}, false, nil
	case err != nil:
		return Receipt{}, true, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	c.entry.Record, c.entry.SubjectRef = b.Record, b.SubjectRef
	if b.Spent || b.Submitter != c.actor.ID || (ref != "" && ref != b.SubjectRef) {
		return Receipt{}, true, c.fail(ctx, errReplayed)
	}
	c.entry.Action = repeatOf[c.entry.Action]
	c.entry.Reason = "the same envelope again from its submitter: its record, nothing stored"
	if err := c.allow(ctx); err != nil {
		return Receipt{}, true, err
	}
	return Receipt{ID: b.Record, Repeat: true}, true, nil
}

// unbound fails, as a conflict, when the envelope of digest is bound
// already: another request sent it while this one was planned.
func (s *Service) unbound(ctx context.Context, livc, digest string) error {
	_, err := s.c.Store.EnvelopeBinding(ctx, livc, digest)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return errReplayed
}
