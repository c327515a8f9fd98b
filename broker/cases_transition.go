package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// lifecycle is the only way a dossier moves: registration → formation →
// weighing → approach → evaluation → closed, and weighing → closed when the
// cell decides not to take the case up. Who may move a dossier is the
// policy's decision; which moves exist is this table.
var lifecycle = map[string][]string{
	StateRegistration: {StateFormation},
	StateFormation:    {StateWeighing},
	StateWeighing:     {StateApproach, StateClosed},
	StateApproach:     {StateEvaluation},
	StateEvaluation:   {StateClosed},
	StateClosed:       {},
}

// AllowedMoves returns the states a dossier in state may move to (the web
// pages offer them); a copy, which the caller may change.
func AllowedMoves(state string) []string { return slices.Clone(lifecycle[state]) }

// checkMove refuses a move the lifecycle does not have with a KindConflict
// (409) naming the moves the dossier's state allows; the target is not
// echoed, so that a client's text never reaches the detail.
func checkMove(from, to string) error {
	allowed := lifecycle[from]
	if !slices.Contains(allowed, to) {
		return Errorf(KindConflict, "a dossier in state %s can move only to: %s", from, orNone(allowed))
	}
	return nil
}

// TransitionRequest moves a dossier (POST /v1/cases/{id}/transitions).
type TransitionRequest struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
	// Outcome and Measures are what the step the move completes came to
	// (cases_outcomes.go); optional.
	Outcome  string    `json:"outcome,omitempty"`
	Measures []Measure `json:"measures,omitempty"`
}

const maxReasonRunes = 1000

// Transition moves a dossier to another state of its lifecycle.
//
// Steps: authenticate, load the dossier and decide (the coordinator, or an
// actor on the roster of the open dossier; judgeCase), read the body, check
// the move against the lifecycle (409 naming the allowed moves), then one
// commit of the allow entry (with the previous and new state and what the
// answer releases) and the dossier. The reason is sealed under the person's
// data key; the audit log holds the states, never the reason's text.
// Closing a dossier takes it out of its roster's index: the roster's access
// under case_conference ends.
func (s *Service) Transition(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, k, in, err := openCase[TransitionRequest](ctx, s, req, ActionCaseTransition, caseID)
	if err != nil {
		return CaseView{}, err
	}
	if err := checkFreeText("reason", in.Reason, maxReasonRunes); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if err := checkMove(k.State, in.To); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if err := checkOutcome(c.cell, in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	// decideOutcome's refusal is audited by the decision itself: failing it
	// again would append a second entry under the same id.
	if err := c.decideOutcome(ctx, k, in); err != nil {
		return CaseView{}, err
	}
	reason, key, err := s.sealText(ctx, k, fmt.Sprintf("move:%d", len(k.History)), in.Reason)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	measures, _, err := s.sealMeasures(ctx, k, len(k.History), in.Measures)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	now := s.c.Now().UTC()
	next := k
	next.History = append(slices.Clip(k.History), Move{From: k.State, To: in.To, By: c.actor.ID, At: now,
		SealedReason: reason, Outcome: in.Outcome, SealedMeasures: measures})
	c.entry.Reason = "state " + k.State + " -> " + in.To + outcomeNote(in)
	next.State, next.UpdatedAt = in.To, now
	return s.commitCase(ctx, c, k, next, key)
}

func orNone(states []string) string {
	if len(states) == 0 {
		return "none (the dossier is closed)"
	}
	return strings.Join(states, ", ")
}
