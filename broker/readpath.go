package broker

import "context"

// SubjectData is everything the card read needs from the store about one
// person: its dossiers (oldest first), its sealed records in the order they
// were stored, and its wrapped data key (nil when it has none: erased, or
// never written).
type SubjectData struct {
	Cases   []Case
	Sealed  []SealedRecord
	Wrapped []byte
}

// SubjectReader is an optional capability of a Store: SubjectData in one
// read that sees the store at one moment (one round trip for a networked
// store, where the card read would otherwise take two). The card read uses
// it when the Store has it.
type SubjectReader interface {
	ReadSubject(ctx context.Context, livc, ref string) (SubjectData, error)
}

// readSubject reads what the card read needs about the person, in one read
// when the store can. A store failure is KindUnavailable.
func (s *Service) readSubject(ctx context.Context, livc, ref string) (SubjectData, error) {
	if r, ok := s.c.Store.(SubjectReader); ok {
		d, err := r.ReadSubject(ctx, livc, ref)
		if err != nil {
			return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		return d, nil
	}
	var d SubjectData
	var err error
	if d.Cases, err = s.c.Store.CasesOfSubject(ctx, livc, ref); err != nil && !isNotFound(err) {
		return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if d.Sealed, err = s.c.Store.Records(ctx, livc, ref); err != nil && !isNotFound(err) {
		return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if len(d.Sealed) == 0 {
		return d, nil
	}
	d.Wrapped, err = s.c.Store.ExistingDataKey(ctx, livc, ref)
	if err != nil && !isNotFound(err) {
		return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return d, nil
}
