package broker

import (
	"context"
	"fmt"
	"slices"
)

// A withdrawal is crypto-shredded like an erasure (README rule 11): the
// person is re-keyed. Their remaining records and dossier texts are
// re-sealed under a fresh data key, in the withdrawal's own commit, and the
// old wrapped key is replaced. The withdrawn record was sealed under the old
// data key only, whose one wrapped form left in the world is then in copies
// of the store taken before: once the key epoch it was wrapped under is
// destroyed, nothing opens it, while the live records open under the new
// key, which key maintenance re-wraps under each new epoch.

// PersonSealed is everything of one person sealed under their data key, as
// the store holds it: the wrapped key, every sealed record (any order),
// their dossiers and each dossier's conferences (by dossier id).
// CaseCount is the number of ids in the person's set of dossiers as read
// with Cases (a store may list an id whose document is gone).
type PersonSealed struct {
	Wrapped   []byte
	Records   []SealedRecord
	Cases     []Case
	CaseCount int64
	Meetings  map[string][]Meeting
}

// Rekey is a person's re-keying with a withdrawal or an expiry: Was as
// read, Now re-sealed under Now.Wrapped, the records and dossiers (with
// their conferences) in the same order without the removed ones. A store
// plans it to hold only while the person's key, records, dossiers and
// conferences are still as in Was.
type Rekey struct {
	Was, Now PersonSealed
}

// Rekeyer re-keys one person without the records removed and the
// dossiers cases, as rekeyWithout does.
type Rekeyer func(removed, cases []string) (Rekey, error)

// rekeyWithout reads what person ref holds sealed and re-seals it under a
// fresh data key, the records removed and the dossiers cases left out.
// Any error (a record or text that does not open, a key that cannot be
// made) is returned and nothing is stored: the withdrawal or expiry fails
// closed. A person without a key is the requester's 404 (only an erasure
// takes it, and it takes their signals).
func (s *Service) rekeyWithout(ctx context.Context, livc, ref string, removed, cases []string) (Rekey, error) {
	was, err := s.c.Store.PersonSealed(ctx, livc, ref)
	if err != nil {
		return Rekey{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if len(was.Wrapped) == 0 {
		return Rekey{}, ErrNotFoundForRequester
	}
	fresh, err := s.c.Sealer.NewDataKey()
	if err != nil {
		return Rekey{}, Wrap(KindInternal, err, "a data key could not be made")
	}
	open, err := s.c.Sealer.Opener(was.Wrapped)
	if err != nil {
		return Rekey{}, Wrap(KindInternal, err, "a record could not be decrypted")
	}
	r := resealer{s: s.c.Sealer, open: open, to: fresh}
	now := PersonSealed{Wrapped: fresh, CaseCount: was.CaseCount, Meetings: map[string][]Meeting{}}
	for _, sr := range was.Records {
		if slices.Contains(removed, sr.ID) {
			continue
		}
		sealed, err := r.reseal(recordAD(livc, ref, sr.ID), sr.Sealed)
		if err != nil {
			return Rekey{}, err
		}
		now.Records = append(now.Records, SealedRecord{ID: sr.ID, Sealed: sealed})
	}
	for _, k := range was.Cases {
		if slices.Contains(cases, k.ID) {
			continue
		}
		next, err := r.resealCase(k)
		if err != nil {
			return Rekey{}, err
		}
		now.Cases = append(now.Cases, next)
		ms := slices.Clone(was.Meetings[k.ID])
		for i := range ms {
			if ms[i].Sealed, err = r.reseal(textAD(k, "meeting:"+ms[i].ID), ms[i].Sealed); err != nil {
				return Rekey{}, err
			}
		}
		now.Meetings[k.ID] = ms
	}
	return Rekey{Was: was, Now: now}, nil
}

// resealer opens what the old data key sealed (open) and seals it again
// under the wrapped data key to, with the same additional data.
type resealer struct {
	s    Sealer
	open func(additional, sealed []byte) ([]byte, error)
	to   []byte
}

// reseal re-seals one sealed value; nothing sealed stays nothing.
func (r resealer) reseal(additional, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return sealed, nil
	}
	plain, err := r.open(additional, sealed)
	if err != nil {
		return nil, Wrap(KindInternal, err, "a sealed value could not be decrypted")
	}
	defer clear(plain)
	out, err := r.s.Seal(r.to, additional, plain)
	if err != nil {
		return nil, Wrap(KindInternal, err, "a sealed value could not be sealed again")
	}
	return out, nil
}

// resealCase returns dossier k with every text re-sealed (the places
// sealText binds them to: cases_transition.go, cases_outcomes.go,
// cases_tasks.go); k itself is not changed.
func (r resealer) resealCase(k Case) (Case, error) {
	next := k
	next.History = slices.Clone(k.History)
	next.Tasks = slices.Clone(k.Tasks)
	var err error
	for i := range next.History {
		m := &next.History[i]
		if m.SealedReason, err = r.reseal(textAD(k, fmt.Sprintf("move:%d", i)), m.SealedReason); err != nil {
			return Case{}, err
		}
		if m.SealedMeasures, err = r.reseal(textAD(k, fmt.Sprintf("move:%d:measures", i)), m.SealedMeasures); err != nil {
			return Case{}, err
		}
	}
	for i := range next.Tasks {
		t := &next.Tasks[i]
		if t.SealedDescription, err = r.reseal(textAD(k, "task:"+t.ID+":description"), t.SealedDescription); err != nil {
			return Case{}, err
		}
		if t.SealedReport, err = r.reseal(textAD(k, "task:"+t.ID+":report"), t.SealedReport); err != nil {
			return Case{}, err
		}
	}
	return next, nil
}
