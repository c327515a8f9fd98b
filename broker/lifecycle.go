package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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

// AllowedMoves returns the states a dossier in state may move to.
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
	// (outcomes.go); optional.
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
	c, k, in, err := openCase[TransitionRequest](ctx, s, req, "case.transition", caseID)
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
	if err := c.decideOutcome(ctx, k, in); err != nil {
		return CaseView{}, c.fail(ctx, err)
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

// decideOnCase asks the policy about an action on dossier k. A dossier the
// requester may not see is the same 404 as an unknown one, whatever else
// the policy refuses: whether one may see a dossier is judged before what
// one may do with it.
func (c *call) decideOnCase(ctx context.Context, k Case, target map[string]any) (Decision, error) {
	d, err := c.decide(ctx, DecisionInput{
		Case:   &CaseScope{State: k.State, OnRoster: slices.Contains(k.Roster, c.actor.ID)},
		Target: target,
	})
	if err != nil && slices.Contains(d.Reasons, "case_out_of_scope") {
		return d, ErrNotFoundForRequester
	}
	return d, err
}

// purposeReasons are the policy's reasons that refuse the request's purpose
// itself, whatever the dossier.
var purposeReasons = []string{"unknown_purpose", "purpose_not_allowed", "purpose_not_bound"}

// judgeCase loads dossier id and judges the request on it before its body is
// read, in the order of the API: the purpose (403), whether the requester
// may see the dossier at all (the uniform 404, for an unknown dossier too),
// then the policy's decision on the action (403), asked without a target:
// what the body names is decided again once the body is read. Every refusal
// is audited.
func (s *Service) judgeCase(ctx context.Context, c *call, id string) (Case, error) {
	k, err := s.loadCase(ctx, c, id)
	if err != nil {
		return Case{}, s.refuseMissing(ctx, c, err)
	}
	if _, err := c.decideOnCase(ctx, k, nil); err != nil {
		return Case{}, err
	}
	return k, nil
}

// refuseMissing audits and returns the refusal of a request whose dossier
// (or task) could not be loaded: for one that does not exist, a purpose the
// requester may not use is still 403 (judged before the dossier), anything
// else the uniform 404.
func (s *Service) refuseMissing(ctx context.Context, c *call, err error) error {
	if KindOf(err) == KindNotFound {
		d, derr := c.policy.Decide(ctx, c.input(DecisionInput{}))
		if derr == nil && slices.ContainsFunc(d.Reasons, func(r string) bool { return slices.Contains(purposeReasons, r) }) {
			c.entry.PolicyRevision = d.Revision
			return c.fail(ctx, c.forbidden(d))
		}
	}
	return c.fail(ctx, err)
}

// checkFreeText refuses an empty text, one over max characters, or one holding
// control characters other than newlines and tabs.
func checkFreeText(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return Invalid(field, "is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return Invalid(field, "must be text of at most %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Invalid(field, "holds a control character")
		}
	}
	return nil
}

func orNone(states []string) string {
	if len(states) == 0 {
		return "none (the dossier is closed)"
	}
	return strings.Join(states, ", ")
}
