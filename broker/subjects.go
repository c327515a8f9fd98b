package broker

import (
	"context"
	"time"
)

// SubjectData is everything the card read needs from the store about one
// person: the state and roster of each of its dossiers, its sealed records in
// the order they were stored, and its wrapped data key (nil when it has none:
// erased, or never written).
type SubjectData struct {
	Dossiers []DossierRoster
	Sealed   []SealedRecord
	Wrapped  []byte
	// Own lists the ids of the records the requesting actor submitted, as
	// Store.ReadScope reads them (nil from ReadSubject). OwnPartial is set
	// when some records of the person were stored before the store indexed
	// records by their source: Own may then miss some, and the card read
	// reads every record, as it did before the index.
	Own        []string
	OwnPartial bool
	// AllRead tells that Sealed holds every record of the person, read
	// with the scope because the requester is on the roster of an open
	// dossier (Store.ReadScope), so that its card read takes one read.
	AllRead bool
}

// DossierRoster is what the card read needs of a dossier about the person:
// whether it is open, and who is on its roster. A store may decode only
// these fields of a stored dossier, and may share Roster between answers:
// callers must not modify it.
type DossierRoster struct {
	ID     string   `json:"id"`
	State  string   `json:"state"`
	Roster []string `json:"roster"`
	// SignalIDs, Shared and CreatedAt tell which records reach the
	// dossier's roster (subjects_reach.go): the signals taken into it, the records
	// shared with it, and since when observations go to it directly.
	SignalIDs []string  `json:"signal_ids"`
	Shared    []string  `json:"shared"`
	CreatedAt time.Time `json:"created_at"`
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

// readScope reads what decides the card read about the person
// (Store.ReadScope): its dossiers, the requester's own record ids, its key.
// A store failure is KindUnavailable.
func (s *Service) readScope(ctx context.Context, livc, ref, actor string) (SubjectData, error) {
	d, err := s.c.Store.ReadScope(ctx, livc, ref, actor)
	if err != nil {
		return SubjectData{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return d, nil
}

// readRecords reads, once the policy has decided, the sealed records the
// decision may release: every record when it releases some class or when
// the requester is on the roster of an open dossier (whose card counts what
// it withholds), else only the requester's own (when it shows them back),
// else none. So a requester that may see nothing of others' records costs
// the same whether the person has none or hundreds (README rule 10: no
// timing oracle).
func (s *Service) readRecords(ctx context.Context, livc, ref string, data SubjectData, d Decision, onRoster bool) ([]SealedRecord, error) {
	var sealed []SealedRecord
	var err error
	switch {
	case !d.Allow:
	case (len(d.Classes) > 0 || onRoster || (d.Own && data.OwnPartial)) && data.AllRead:
		sealed = data.Sealed
	case len(d.Classes) > 0 || onRoster || (d.Own && data.OwnPartial):
		sealed, err = s.c.Store.Records(ctx, livc, ref)
	case d.Own && len(data.Own) > 0:
		sealed, err = s.c.Store.SealedRecords(ctx, livc, ref, data.Own)
	}
	if err != nil {
		return nil, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return sealed, nil
}
