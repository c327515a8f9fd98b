package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Step outcomes: a transition records, as data, what the step it completes
// came to (the weighing's assessment, the approach's plan, the evaluation's
// finding, the closure's outcome), besides its free-text reason. Which
// outcomes each move may record is policy data (step_outcomes in
// policies/decision.rego), decided with the move: an outcome the list does
// not hold for the move is 422 naming outcome. Moving from weighing to
// approach may also carry the approach's plan: measures, each an actor of
// the dossier's roster and what it undertakes (sealed, like the reason).

// Measure is one actor's part of the approach's plan.
type Measure struct {
	Actor   string `json:"actor"`
	Measure string `json:"measure"`
}

// Bounds of a plan.
const (
	maxMeasures      = 20
	maxMeasureRunes  = 1000
	maxOutcomeLength = 64
)

// checkOutcome refuses the shape of a transition's outcome and measures
// before the policy judges them: an outcome that is not a lower-case
// identifier of at most 64 characters, measures without an outcome, more
// than maxMeasures, an actor unknown to the cell or named twice, a measure
// without text, too long or holding control characters.
func checkOutcome(cell *Cell, in TransitionRequest) error {
	if in.Outcome != "" && (!isName(in.Outcome) || len(in.Outcome) > maxOutcomeLength) {
		return Invalid("outcome", "must be a lower-case identifier of at most %d characters", maxOutcomeLength)
	}
	if len(in.Measures) > 0 && in.Outcome == "" {
		return Invalid("outcome", "is required with measures")
	}
	if len(in.Measures) > maxMeasures {
		return Invalid("measures", "lists more than %d measures", maxMeasures)
	}
	seen := map[string]bool{}
	for i, m := range in.Measures {
		field := "measures[" + strconv.Itoa(i) + "]"
		if _, ok := cell.Actor(m.Actor); !ok || seen[m.Actor] {
			return Invalid(field+".actor", "names an actor unknown to the cell, or one twice")
		}
		seen[m.Actor] = true
		if err := checkFreeText(field+".measure", m.Measure, maxMeasureRunes); err != nil {
			return err
		}
	}
	return nil
}

// decideOutcome asks the policy again, with the move, its outcome and the
// plan's actors against the roster as stored. A refusal for the outcome or
// the plan is 422 naming it; any other refusal stands.
func (c *call) decideOutcome(ctx context.Context, k Case, in TransitionRequest) error {
	actors := make([]string, len(in.Measures))
	for i, m := range in.Measures {
		actors[i] = m.Actor
	}
	d, err := c.decideOnCase(ctx, k, map[string]any{
		"from": k.State, "to": in.To, "outcome": in.Outcome,
		"measure_actors": actors, "case_roster": slices.Clone(k.Roster),
	})
	switch {
	case err == nil:
		return nil
	case slices.Contains(d.Reasons, "outcome_not_for_this_step"):
		return Invalid("outcome", "is not an outcome of a move from %s to %s", k.State, in.To)
	case slices.Contains(d.Reasons, "measure_actor_not_on_roster"):
		return Invalid("measures", "names an actor that is not on the dossier's roster, or a plan for another move than to approach")
	}
	return err
}

// sealMeasures seals a plan under the person's data key, at move i of
// dossier k; no plan is nil.
func (s *Service) sealMeasures(ctx context.Context, k Case, i int, measures []Measure) ([]byte, KeyUse, error) {
	if len(measures) == 0 {
		return nil, KeyUse{}, nil
	}
	plain, err := json.Marshal(measures)
	if err != nil {
		return nil, KeyUse{}, Wrap(KindInternal, err, "the measures could not be encoded")
	}
	return s.sealText(ctx, k, fmt.Sprintf("move:%d:measures", i), string(plain))
}

// openMeasures reverses sealMeasures; a plan that no longer opens (the
// person erased) is none.
func (s *Service) openMeasures(ctx context.Context, k Case, i int, sealed []byte) ([]Measure, error) {
	plain, err := s.openText(ctx, k, fmt.Sprintf("move:%d:measures", i), sealed)
	if err != nil || plain == "" {
		return nil, err
	}
	var out []Measure
	if err := json.Unmarshal([]byte(plain), &out); err != nil {
		return nil, Wrap(KindInternal, err, "stored measures are malformed")
	}
	return out, nil
}

// outcomeNote is the audit entry's account of a move's outcome: its label
// and how many measures, never their text.
func outcomeNote(in TransitionRequest) string {
	if in.Outcome == "" {
		return ""
	}
	return fmt.Sprintf("; outcome %s, %d measures", in.Outcome, len(in.Measures))
}
