package broker

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"
)

// A retention review: a closed dossier expires closed_case days after its
// closing, unless the coordinator reviews it and decides to keep it one
// more period, counted from the review (retention_list.go, closedAt).

// ReviewRequest is the body of POST /v1/cases/{id}/review.
type ReviewRequest struct {
	Reason string `json:"reason"`
}

// Review is the answer of a review: the dossier, when it was reviewed and
// when it now expires (by the adult period; a minor's may end sooner, as
// GET /v1/retention shows).
type Review struct {
	ID         string    `json:"id"`
	ReviewedAt time.Time `json:"reviewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// ReviewCase answers POST /v1/cases/{id}/review: the coordinator keeps a
// closed dossier one more retention period. The reason is checked and not
// kept (the audit entry records its length), as a dismissal's.
//
// Steps: authenticate, load the dossier and decide (the coordinator's;
// judgeCase), the body, the state (an open dossier: 409), one commit of the
// allow entry with the dossier's review time.
func (s *Service) ReviewCase(ctx context.Context, req *Request, caseID string) (Review, error) {
	c, k, in, err := openCase[ReviewRequest](ctx, s, req, ActionCaseReview, caseID)
	if err != nil {
		return Review{}, err
	}
	if err := checkFreeText("reason", in.Reason, maxReasonRunes); err != nil {
		return Review{}, c.fail(ctx, err)
	}
	if k.Open() {
		return Review{}, c.fail(ctx, Errorf(KindConflict, "only a closed dossier is reviewed for retention"))
	}
	now := s.c.Now().UTC()
	next := k.clone()
	next.ReviewedAt, next.UpdatedAt = now, now
	out := Review{ID: k.ID, ReviewedAt: now, ExpiresAt: now.AddDate(0, 0, c.cell.Retention.ClosedCase)}
	c.entry.Reason = "retention review: kept until " + out.ExpiresAt.Format(time.DateOnly) + "; reason of " +
		strconv.Itoa(utf8.RuneCountInString(in.Reason)) + " characters, not kept"
	c.entry.Released = []string{"expires_at", "id", "reviewed_at"}
	if err := s.updateCase(ctx, c, k, next, KeyUse{}); err != nil {
		return Review{}, err
	}
	return out, nil
}
