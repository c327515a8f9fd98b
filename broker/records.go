package broker

import "github.com/livc/livc-broker/broker/recordcodec"

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

// OpenRecords opens the sealed records of person ref in cell livc, in
// order, with the data key looked up once, and decodes them (either form,
// see broker/recordcodec), numbers kept as json.Number. A record that does
// not open or decode is an error for all, never silently skipped or empty.
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

// openRecord opens and decodes one record with open, the function Sealer.Opener returns
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
