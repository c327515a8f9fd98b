package broker

import (
	"context"
	"slices"
	"strings"
)

// CaseRequest registers a dossier (POST /v1/cases).
type CaseRequest struct {
	SubjectRef string   `json:"subject_ref"`
	SignalIDs  []string `json:"signal_ids"`
	Category   string   `json:"category"`
}

// RosterRequest sets who takes part in a dossier's case conference.
type RosterRequest struct {
	Actors []string `json:"actors"`
}

const maxRoster = 64

// CreateCase registers a dossier about a person the broker holds signals of.
func (s *Service) CreateCase(ctx context.Context, req *Request) (Case, error) {
	c, err := s.begin(ctx, req, "case.create")
	if err != nil {
		return Case{}, err
	}
	// Judged before the body: only the coordinator may register one.
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Case{}, err
	}
	body, err := c.body(ctx)
	if err != nil {
		return Case{}, err
	}
	var in CaseRequest
	if err := decodeBody(body, &in); err != nil {
		return Case{}, c.fail(ctx, err)
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
func openToDossier(ctx context.Context, st Store, livc, id string) error {
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

// SetRoster replaces the roster of a dossier's case conference.
func (s *Service) SetRoster(ctx context.Context, req *Request, caseID string) (Case, error) {
	c, k, in, err := openCase[RosterRequest](ctx, s, req, "roster.change", caseID)
	if err != nil {
		return Case{}, err
	}
	if err := checkRoster(c.cell, in.Actors); err != nil {
		return Case{}, c.fail(ctx, err)
	}
	d, err := c.decideOnCase(ctx, k, map[string]any{"roster": in.Actors})
	if err != nil {
		if slices.Contains(d.Reasons, "roster_actor_not_operational") {
			return Case{}, Invalid("actors", "names an actor that does not sit at the operational table")
		}
		return Case{}, err
	}
	c.entry.Reason = "roster " + joinOrNone(k.Roster) + " -> " + joinOrNone(in.Actors)
	next := k
	next.Roster = in.Actors
	next.UpdatedAt = s.c.Now().UTC()
	// The answer is the dossier without its texts: released as such.
	c.entry.Released = caseFields(next)
	if err := s.updateCase(ctx, c, k, next, KeyUse{}); err != nil {
		return Case{}, err
	}
	return next.withoutTexts(), nil
}

// loadCase reads a dossier of the requester's cell; a malformed or unknown id
// is the same 404, and so is a dossier whose person has no data key: only an
// erasure takes it (a dossier needs records, which need the key), and a
// store written before erasures deleted dossiers may still hold one.
func (s *Service) loadCase(ctx context.Context, c *call, id string) (Case, error) {
	if !ValidCaseID(id) {
		return Case{}, ErrNotFoundForRequester
	}
	c.entry.CaseID = id
	k, err := s.c.Store.Case(ctx, c.cell.ID, id)
	if isNotFound(err) {
		return Case{}, ErrNotFoundForRequester
	}
	if err != nil {
		return Case{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	c.entry.SubjectRef = k.SubjectRef
	if _, err := s.c.Store.ExistingDataKey(ctx, c.cell.ID, k.SubjectRef); isNotFound(err) {
		return Case{}, ErrNotFoundForRequester
	} else if err != nil {
		return Case{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return k, nil
}

func checkRoster(cell *Cell, actors []string) error {
	if actors == nil {
		return Invalid("actors", "is required (an empty list clears the roster)")
	}
	if len(actors) > maxRoster {
		return Invalid("actors", "lists more than %d actors", maxRoster)
	}
	seen := map[string]bool{}
	for _, a := range actors {
		if _, ok := cell.Actor(a); !ok {
			return Invalid("actors", "names an actor unknown to the cell")
		}
		if seen[a] {
			return Invalid("actors", "names an actor twice")
		}
		seen[a] = true
	}
	return nil
}

// caseFields names what a dossier without its texts (Case.withoutTexts)
// releases, for the audit log.
func caseFields(k Case) []string {
	names := []string{"category", "roster", "signal_ids", "state", "subject_ref"}
	if k.Priority != 0 {
		names = append(names, "priority")
	}
	if len(k.History) > 0 {
		names = append(names, "history")
	}
	if len(k.Shared) > 0 {
		names = append(names, "shared")
	}
	if len(k.Tasks) > 0 {
		names = append(names, "tasks")
	}
	return sortedSet(names)
}

func joinOrNone(ids []string) string { return "[" + strings.Join(ids, ",") + "]" }
