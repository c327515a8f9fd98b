package broker

// SealRecord seals rec for the store under the person's wrapped data key,
// bound to its cell, person and id (see recordAD). The submission pipeline
// stores records this way; tools that seed a store directly (the load
// generator) must too, or the broker will refuse to open what they wrote.
func SealRecord(s Sealer, wrapped []byte, livc string, rec Record) (SealedRecord, error) {
	plain, err := encodeRecord(rec)
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
// it (either form, see recordcodec.go), numbers kept as json.Number. A record that does not open or decode is
// an error, never an empty record.
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
	rec, err := decodeRecord(plain)
	if err != nil {
		return Record{}, Wrap(KindInternal, err, "a record could not be decoded")
	}
	return rec, nil
}
