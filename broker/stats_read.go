package broker

import (
	"context"

	"github.com/livc/livc-broker/broker/suppress"
)

// Stats are the strategic table's aggregates (GET /v1/stats): counts of
// dossiers by state, category and priority, and of signals per month. Every
// count is 0, at least 5, or the string "<5".
type Stats struct {
	Cases struct {
		ByState    map[string]any `json:"by_state"`
		ByCategory map[string]any `json:"by_category"`
		ByPriority map[string]any `json:"by_priority"`
	} `json:"cases"`
	Signals struct {
		ByMonth map[string]any `json:"by_month"`
	} `json:"signals"`
}

// ReadStats answers GET /v1/stats under policy: aggregates only, never a
// person, read from counts the store keeps (no dossier is read). The
// signals per month are those of other actors than the requester's.
func (s *Service) ReadStats(ctx context.Context, req *Request) (Stats, error) {
	c, err := s.begin(ctx, req, ActionStatsRead)
	if err != nil {
		return Stats{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Stats{}, err
	}
	counts, err := s.c.Store.CaseCounts(ctx, c.cell.ID)
	if err != nil {
		return Stats{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	// Each requester sees the signals of others only: its own submissions
	// must not move what it sees (Counts.Without).
	st := BuildStats(counts.Without(c.actor.ID))
	c.entry.Released = []string{"cases.by_category", "cases.by_priority", "cases.by_state", "signals.by_month"}
	if err := c.allow(ctx); err != nil {
		return Stats{}, err
	}
	return st, nil
}

// BuildStats turns exact counts into publishable ones. Every state and
// priority ("1" to "5" and "none") is listed, zero or not.
//
// Suppression: a count from 1 to 4 is shown as "<5". The three dossier
// breakdowns partition the same dossiers, so their totals are equal: a
// member who knows the total (from a breakdown without any "<5") could
// subtract the shown counts of another breakdown and recompute its "<5"
// cells. suppress.Protect therefore checks what the published answer lets anyone
// infer and, while any "<5" cell is pinned to one value, merges cells of a
// breakdown into suppress.OtherKey until none is. Signals per month are a breakdown
// of their own population.
func BuildStats(c Counts) Stats {
	byState := withKeys(c.ByState, []string{StateRegistration, StateFormation, StateWeighing, StateApproach, StateEvaluation, StateClosed})
	byPriority := withKeys(c.ByPriority, []string{"1", "2", "3", "4", "5", "none"})
	cases := suppress.Protect([]map[string]int{byState, c.ByCategory, byPriority})
	months := suppress.Protect([]map[string]int{c.SignalsByMonth})
	var st Stats
	st.Cases.ByState, st.Cases.ByCategory, st.Cases.ByPriority = cases[0], cases[1], cases[2]
	st.Signals.ByMonth = months[0]
	return st
}

func withKeys(m map[string]int, keys []string) map[string]int {
	out := make(map[string]int, len(keys)+len(m))
	for _, k := range keys {
		out[k] = 0
	}
	for k, v := range m {
		out[k] += v
	}
	return out
}
