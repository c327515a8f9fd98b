package broker

import (
	"context"
	"slices"
)

// ReadCard answers GET /v1/subjects/{ref}/card: every record about the person
// merged into one card, holding only what the policy releases to the
// requester under the declared purpose.
//
// Steps: authenticate, read the person's dossiers, the requester's own
// record ids and the key (one read), decide (one evaluation: the released
// classes), read and open only the records the decision may release
// (readRecords), for a minor decide again under minors.release, release (a pure filter), audit, answer. A person the
// requester may see nothing of is the same 404 whatever the reason, and
// costs the same whatever the person's records. The withheld count is
// answered only on the roster of an open dossier of the person.
func (s *Service) ReadCard(ctx context.Context, req *Request, ref string) (Card, error) {
	c, err := s.begin(ctx, req, ActionCardRead)
	if err != nil {
		return Card{}, err
	}
	if !ValidSubjectRef(ref) {
		return Card{}, c.fail(ctx, ErrNotFoundForRequester)
	}
	c.entry.SubjectRef = ref
	data, err := s.readScope(ctx, c.cell.ID, ref, c.actor.ID)
	if err != nil {
		return Card{}, c.fail(ctx, err)
	}
	scope := scopeOf(data.Dossiers, c.actor.ID)
	d, err := c.decide(ctx, DecisionInput{Subject: &scope})
	if err != nil {
		return Card{}, err
	}
	if data.Sealed, err = s.readRecords(ctx, c.cell.ID, ref, data, d, scope.OnRoster); err != nil {
		return Card{}, c.fail(ctx, err)
	}
	records, err := s.openRecords(c.cell.ID, ref, data)
	if err != nil {
		return Card{}, c.fail(ctx, err)
	}
	// The age is told from every record read (a minor by any record is a
	// minor); the card draws only on those that reach it (subjects_reach.go).
	all := records
	records = reachable(c.cell, records, data.Dossiers, c.actor.ID, c.req.Purpose, d.ShareTypes)
	// A minor's card is decided again under minors.release (README rule 9).
	// The first decision, as for an adult, chose what to read: minors.release
	// may only release less, so the records it read hold every class a
	// minor's card could show. Only a decision that releases classes needs
	// the age, and it has read every record of the person to tell it.
	if len(d.Classes) > 0 && c.cell.Minors != nil && MinorOn(all, c.cell.Minors.Age, s.c.Now()) {
		scope.Minor = true
		if d, err = c.decide(ctx, DecisionInput{Subject: &scope}); err != nil {
			return Card{}, err
		}
	}
	card, released, withheld := Release(c.cell, records, d, c.actor.ID)
	card.SubjectRef = ref
	if !scope.OnRoster {
		card.Withheld = nil
	}
	c.entry.Released, c.entry.Withheld = released, withheld
	if len(released) == 0 && offRoster(c.req.Purpose, scope) {
		return Card{}, c.failOffRoster(ctx)
	}
	if len(released) == 0 {
		return Card{}, c.fail(ctx, ErrNotFoundForRequester)
	}
	c.entry.Reason = drawnOn(card, records)
	if err := c.allow(ctx); err != nil {
		return Card{}, err
	}
	return card, nil
}

// scopeOf tells how the actor stands to the person from its dossiers:
// whether one is open, and whether the actor is on the roster of an open one.
func scopeOf(cases []DossierRoster, actor string) SubjectScope {
	var sc SubjectScope
	for _, k := range cases {
		if !k.Open() {
			continue
		}
		sc.OpenCase = true
		if slices.Contains(k.Roster, actor) {
			sc.OnRoster = true
		}
	}
	return sc
}

// openRecords decrypts every record of the person (OpenRecords). A person
// whose key is gone (erased) has no records to show.
func (s *Service) openRecords(livc, ref string, d SubjectData) ([]Record, error) {
	if len(d.Sealed) == 0 || d.Wrapped == nil {
		return nil, nil
	}
	return OpenRecords(s.c.Sealer, d.Wrapped, livc, ref, d.Sealed)
}

// Release is the pure filter of the card: a value is released when the
// decision releases its field's class and no cell rule withholds the field
// by name (d.WithheldFields: a deny overrides an allow), or when the
// requester's own actor submitted it and the decision allows showing that
// back. Everything else is withheld and counted (the caller drops the count
// where the requester may not see it). It returns the card and the sorted
// names of the released and withheld fields, for the audit log.
func Release(cell *Cell, records []Record, d Decision, actor string) (Card, []string, []string) {
	n := 0
	for _, rec := range records {
		n += len(rec.Fields)
	}
	count := 0
	card := Card{Fields: make(map[string][]CardValue, n), Withheld: &count}
	// Names are collected with repeats and sorted once: a card has tens of
	// names, and a set per call cost more than the filter itself.
	released, withheld := make([]string, 0, n), []string(nil)
	for _, rec := range records {
		// A record holds a name once, so the card's values of a name are in
		// record order whatever the order of the names within a record.
		for name, value := range rec.Fields {
			spec, known := cell.Fields[name]
			ok := d.Allow && ((known && slices.Contains(d.Classes, spec.Class) && !slices.Contains(d.WithheldFields, name)) ||
				(d.Own && rec.Source == actor))
			if !ok {
				count++
				withheld = append(withheld, name)
				continue
			}
			released = append(released, name)
			card.Fields[name] = append(card.Fields[name], CardValue{
				Value: value, Source: rec.Source, Record: rec.ID, At: rec.ObservedAt,
			})
		}
	}
	return card, sortedSet(released), sortedSet(withheld)
}

// offRoster tells whether a card read that released nothing was refused for
// the roster: under case_conference (the purpose whose scope is the roster),
// with a dossier open and the actor on none of the open ones' rosters.
func offRoster(purpose string, sc SubjectScope) bool {
	return purpose == PurposeCaseConference && sc.OpenCase && !sc.OnRoster
}

// failOffRoster audits a card read refused off the roster (ReasonOffRoster)
// and returns the same 404 as any other refusal.
func (c *call) failOffRoster(ctx context.Context) error {
	c.entry.Decision = DecisionDeny
	c.entry.Reason = ReasonOffRoster
	if err := c.append(ctx); err != nil {
		return err
	}
	return ErrNotFoundForRequester
}
