package broker

import "context"

// RecordsKeyReader is an optional capability of a Store: a person's sealed
// records and wrapped data key in one read (one round trip for a networked
// store). The card read uses it when the Store has it; wrapped is nil when
// the person has no data key (erased).
type RecordsKeyReader interface {
	RecordsAndDataKey(ctx context.Context, livc, ref string) (sealed []SealedRecord, wrapped []byte, err error)
}

// sealedWithKey reads the person's sealed records and data key, in one read
// when the store can; ErrNotFound for a person without a data key.
func (s *Service) sealedWithKey(ctx context.Context, livc, ref string) ([]SealedRecord, []byte, error) {
	if r, ok := s.c.Store.(RecordsKeyReader); ok {
		sealed, wrapped, err := r.RecordsAndDataKey(ctx, livc, ref)
		if err != nil {
			return nil, nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		if len(sealed) > 0 && wrapped == nil {
			return nil, nil, ErrNotFound
		}
		return sealed, wrapped, nil
	}
	sealed, err := s.c.Store.Records(ctx, livc, ref)
	if err != nil && !isNotFound(err) {
		return nil, nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	if len(sealed) == 0 {
		return nil, nil, nil
	}
	wrapped, err := s.c.Store.ExistingDataKey(ctx, livc, ref)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return sealed, wrapped, nil
}
