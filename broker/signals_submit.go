package broker

import (
	"context"
	"maps"
	"slices"
)

// Receipt answers a submission: the record's id and nothing else, the same
// whether or not the broker knew the person (a pseudonym in the answer
// would tell the submitter that, and let it test identities).
type Receipt struct {
	ID string `json:"id"`
	// Repeat marks the answer to an envelope its submitter had sent before:
	// the record it made then, nothing stored now (200, not 201).
	Repeat bool `json:"-"`
}

// SubmitSignal takes a signal encrypted to the broker, links its person to a
// subject ref and stores it sealed at rest, into the coordinator's intake.
//
// Steps: authenticate, decide, open the envelope (an envelope sent before
// answers the record it made to its submitter and 409 to anyone else),
// validate against the catalogue, then one commit of the allow entry with
// the write (link the aliases, store a fresh data key if the person has
// none, the sealed record, the month's count, the intake entry and the
// envelope's binding). A signal whose identifiers are linked to two
// different persons links nothing: it is held for the coordinator under a
// pseudonym of its own. Any failure stores nothing and is audited.
func (s *Service) SubmitSignal(ctx context.Context, req *Request) (Receipt, error) {
	c, err := s.begin(ctx, req, ActionSignalSubmit)
	if err != nil {
		return Receipt{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Receipt{}, err
	}
	in, err := openEnvelope(ctx, s, c, &submission{}, func(plaintext []byte) (Signal, error) {
		return ParseSignal(c.cell, plaintext, s.c.Now())
	})
	if err != nil || in.repeated {
		return in.repeat, err
	}
	sig, digest := in.value, in.digest
	aliases := s.c.Pseudonyms.Aliases(c.cell.ID, sig.Subject)
	if len(aliases) == 0 {
		return Receipt{}, c.fail(ctx, Invalid("subject", "does not name a person"))
	}
	fields := sig.IdentityFields()
	maps.Copy(fields, sig.Fields)
	rec := Record{
		ID: NewID("sig"), Kind: KindSignal, Source: c.actor.ID, Sub: req.Principal.Sub,
		ObservedAt: sig.ObservedAt.UTC(), ReceivedAt: s.c.Now().UTC(), Fields: fields,
	}
	c.entry.Record = rec.ID
	c.entry.Released = slices.Sorted(maps.Keys(fields)) // the names submitted, never values
	// The first plan follows repost's check of the envelope.
	replan := false
	err = c.write(ctx, maxReplans, func() (Write, error) {
		defer func() { replan = true }()
		return s.planSignal(ctx, c, &rec, aliases, digest, replan)
	})
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: rec.ID}, nil
}

// planSignal plans storing rec, a signal about the person of aliases that
// came in the envelope of digest: afresh at each attempt, since another
// submission may have linked the person, given it a key or sent the same
// envelope meanwhile (a replan: then the envelope is checked again; the
// plan holds only while it is unbound either way). It sets rec's ref and
// the entry's: the person's, a new one, or, when the aliases are linked to
// two different persons, a ref of its own that no alias links to, the
// signal held for the coordinator.
func (s *Service) planSignal(ctx context.Context, c *call, rec *Record, aliases []string, digest string, replan bool) (Write, error) {
	if replan {
		if err := s.unbound(ctx, c.cell.ID, digest); err != nil {
			return nil, err
		}
	}
	look, err := s.lookupSubject(ctx, c.cell.ID, aliases)
	if err != nil {
		return nil, err
	}
	w := RecordWrite{Livc: c.cell.ID, Ref: look.Ref, Aliases: aliases, Links: look.Links,
		Source: rec.Source, Month: rec.ReceivedAt.UTC().Format("2006-01"),
		Intake: &SignalEntry{ID: rec.ID, Source: rec.Source, ReceivedAt: rec.ReceivedAt, ObservedAt: rec.ObservedAt, State: SignalReceived},
	}
	c.entry.Reason = ""
	if linksDisagree(look.Links) {
		w.Ref, w.Aliases, w.Links, look.Wrapped = NewSubjectRef(), nil, nil, nil
		w.Intake.State = SignalHeld
		c.entry.Reason = "held for the coordinator: its identifiers are linked to two different persons"
	}
	rec.SubjectRef, w.Intake.SubjectRef, c.entry.SubjectRef = w.Ref, w.Ref, w.Ref
	w.Envelope = &EnvelopeBinding{Digest: digest, Submitter: c.actor.ID, Record: rec.ID, SubjectRef: w.Ref}
	if w.Key, err = s.keyOrFresh(look.Wrapped); err != nil {
		return nil, err
	}
	if w.Record, err = s.sealRecord(c.cell.ID, w.Key.Wrapped, *rec); err != nil {
		return nil, err
	}
	return s.c.Store.PlanRecord(ctx, w)
}

// linksDisagree reports whether the aliases of one signal are linked to two
// different persons: then it names both, and merging on it would join one
// person's records to the other's.
func linksDisagree(links []string) bool {
	first := ""
	for _, l := range links {
		switch {
		case l == "":
		case first == "":
			first = l
		case l != first:
			return true
		}
	}
	return false
}

// lookupSubject reads the ref the person already has (or a new random one
// it will get), its aliases' links and its data key, in one read. It only
// reads: linking is part of the write.
func (s *Service) lookupSubject(ctx context.Context, livc string, aliases []string) (SubjectLookup, error) {
	look, err := s.c.Store.LookupSubject(ctx, livc, aliases, NewSubjectRef())
	if err != nil {
		return SubjectLookup{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return look, nil
}
