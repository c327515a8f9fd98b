package broker

import (
	"context"

	"github.com/livc/livc-broker/broker/recordcodec"
)

// SealRecord seals rec for the store under the person's wrapped data key,
// bound to its cell, person and id (see recordAD). The submission pipeline
// stores records this way; tools that seed a store directly (the load
// generator) must too, or the broker will refuse to open what they wrote.
func SealRecord(s Sealer, wrapped []byte, livc string, rec Record) (SealedRecord, error) {
	plain, err := recordcodec.Encode(recordcodec.Record(rec))
	if err != nil {
		return SealedRecord{}, err
	}
	sealed, err := s.Seal(wrapped, recordAD(livc, rec.SubjectRef, rec.ID), plain)
	if err != nil {
		return SealedRecord{}, err
	}
	return SealedRecord{ID: rec.ID, Sealed: sealed}, nil
}

// OpenRecord opens one sealed record of person ref in cell livc and decodes
// it (either form, see broker/recordcodec), numbers kept as json.Number. A
// record that does not open or decode is an error, never an empty record.
func OpenRecord(s Sealer, wrapped []byte, livc, ref string, sr SealedRecord) (Record, error) {
	return openRecord(func(additional, sealed []byte) ([]byte, error) {
		return s.Open(wrapped, additional, sealed)
	}, livc, ref, sr)
}

// OpenRecords is OpenRecord of each of sealed, in order, with the data key
// looked up once. A record that does not open or decode is an error for
// all, never silently skipped.
func OpenRecords(s Sealer, wrapped []byte, livc, ref string, sealed []SealedRecord) ([]Record, error) {
	open, err := s.Opener(wrapped)
	if err != nil {
		return nil, Wrap(KindInternal, err, "a record could not be decrypted")
	}
	out := make([]Record, 0, len(sealed))
	for _, sr := range sealed {
		rec, err := openRecord(open, livc, ref, sr)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// openRecord is OpenRecord with open, the function Sealer.Opener returns
// for the person's data key.
func openRecord(open func(additional, sealed []byte) ([]byte, error), livc, ref string, sr SealedRecord) (Record, error) {
	plain, err := open(recordAD(livc, ref, sr.ID), sr.Sealed)
	if err != nil {
		return Record{}, Wrap(KindInternal, err, "a record could not be decrypted")
	}
	rec, err := recordcodec.Decode(plain)
	if err != nil {
		return Record{}, Wrap(KindInternal, err, "a record could not be decoded")
	}
	return Record(rec), nil
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
