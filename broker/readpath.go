package broker

import "context"

// SubjectData is everything the card read needs from the store about one
// person: the state and roster of each of its dossiers, its sealed records in
// the order they were stored, and its wrapped data key (nil when it has none:
// erased, or never written).
type SubjectData struct {
	Dossiers []DossierRoster
	Sealed   []SealedRecord
	Wrapped  []byte
}

// DossierRoster is what the card read needs of a dossier about the person:
// whether it is open, and who is on its roster. A store may decode only
// these fields of a stored dossier, and may share Roster between answers:
// callers must not modify it.
type DossierRoster struct {
	ID     string   `json:"id"`
	State  string   `json:"state"`
	Roster []string `json:"roster"`
}

// Open reports whether the dossier is still being worked.
func (d DossierRoster) Open() bool { return d.State != StateClosed }

// SubjectLookup is what a submission needs of the store about a person:
// its ref (the ref of the first linked alias, or the new ref), what each of
// its aliases is linked to ("" for none), and the ref's wrapped data key
// (nil when it has none).
type SubjectLookup struct {
	Ref     string
	Links   []string
	Wrapped []byte
}

// readSubject reads what the card read needs about the person in one read
// (Store.ReadSubject). A store failure is KindUnavailable.
func (s *Service) readSubject(ctx context.Context, livc, ref string) (SubjectData, error) {
	d, err := s.c.Store.ReadSubject(ctx, livc, ref)
	if err != nil {
		return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return d, nil
}
