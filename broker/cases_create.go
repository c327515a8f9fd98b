package broker

import (
	"context"
)

// CaseRequest registers a dossier (POST /v1/cases).
type CaseRequest struct {
	SubjectRef string   `json:"subject_ref"`
	SignalIDs  []string `json:"signal_ids"`
	Category   string   `json:"category"`
}

// CreateCase registers a dossier about a person the broker holds signals of.
func (s *Service) CreateCase(ctx context.Context, req *Request) (Case, error) {
	c, err := s.begin(ctx, req, ActionCaseCreate)
	if err != nil {
		return Case{}, err
	}
	// Judged before the body: only the coordinator may register one.
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Case{}, err
	}
	in, err := readBody[CaseRequest](ctx, c)
	if err != nil {
		return Case{}, err
	}
	if err := s.checkCaseRequest(ctx, c.cell.ID, &in); err != nil {
		return Case{}, c.fail(ctx, err)
	}
	c.entry.SubjectRef = in.SubjectRef
	now := s.c.Now().UTC()
	k := Case{
		ID: NewID("case"), Livc: c.cell.ID, SubjectRef: in.SubjectRef,
		SignalIDs: in.SignalIDs, Category: in.Category, State: StateRegistration,
		Roster: []string{}, CreatedBy: c.actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	c.entry.CaseID = k.ID
	c.entry.Reason = "state registration"
	err = c.write(ctx, 1, func() (Write, error) { return s.c.Store.PlanCreateCase(ctx, k) })
	if err != nil {
		return Case{}, err
	}
	return k, nil
}

// checkCaseRequest refuses a dossier about no known person or naming records
// that are not that person's.
func (s *Service) checkCaseRequest(ctx context.Context, livc string, in *CaseRequest) error {
	if !ValidSubjectRef(in.SubjectRef) {
		return Invalid("subject_ref", "must be a subject ref (s_…)")
	}
	if !validCategory(in.Category) {
		return Invalid("category", "must be a lower-case identifier of at most 64 characters")
	}
	if len(in.SignalIDs) == 0 || len(in.SignalIDs) > 100 {
		return Invalid("signal_ids", "must list from 1 to 100 signal ids")
	}
	seen := map[string]bool{}
	for _, id := range in.SignalIDs {
		if !ValidRecordID(id) || seen[id] {
			return Invalid("signal_ids", "holds a malformed or repeated id")
		}
		seen[id] = true
		ok, err := s.c.Store.HasRecord(ctx, livc, in.SubjectRef, id)
		if err != nil {
			return Wrap(KindUnavailable, err, "the store is unavailable")
		}
		if !ok {
			return Invalid("signal_ids", "names a signal that is not about this subject")
		}
		if err := openToDossier(ctx, s.c.Store, livc, id); err != nil {
			return err
		}
	}
	return nil
}

// openToDossier refuses a signal the intake holds out of every dossier:
// dismissed, held for the coordinator, withdrawn or expired. A record the
// intake does not know (an observation, or one stored before the intake) may
// open a dossier, as may a signal received or already in another one.
func openToDossier(ctx context.Context, st IntakeReader, livc, id string) error {
	e, err := st.Signal(ctx, livc, id)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return Wrap(KindUnavailable, err, "the store is unavailable")
	case e.State != SignalReceived && e.State != SignalInDossier:
		return Invalid("signal_ids", "names a signal that is %s, not open to a dossier", e.State)
	}
	return nil
}
