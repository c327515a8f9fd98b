package broker

import (
	"context"
	"slices"
	"strings"
)

// RosterRequest sets who takes part in a dossier's case conference.
type RosterRequest struct {
	Actors []string `json:"actors"`
}

const maxRoster = 64

// SetRoster replaces the roster of a dossier's case conference.
func (s *Service) SetRoster(ctx context.Context, req *Request, caseID string) (Case, error) {
	c, k, in, err := openCase[RosterRequest](ctx, s, req, ActionRosterChange, caseID)
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
