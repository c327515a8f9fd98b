package broker

import (
	"context"
	"fmt"
)

// PriorityRequest sets a dossier's priority (PUT /v1/cases/{id}/priority).
type PriorityRequest struct {
	Priority int `json:"priority"`
}

// SetPriority sets the priority (1, highest, to 5) of an open dossier: the
// tactical table, under prioritisation. Audited with the old and new value.
func (s *Service) SetPriority(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, prev, in, err := openCase[PriorityRequest](ctx, s, req, ActionCasePriority, caseID)
	if err != nil {
		return CaseView{}, err
	}
	k := prev.clone()
	if in.Priority < 1 || in.Priority > 5 {
		return CaseView{}, c.fail(ctx, Invalid("priority", "must be from 1 to 5"))
	}
	c.entry.Reason = fmt.Sprintf("priority %s -> %d", priorityName(k.Priority), in.Priority)
	k.Priority, k.UpdatedAt = in.Priority, s.c.Now().UTC()
	return s.commitCase(ctx, c, prev, k, KeyUse{})
}

func priorityName(p int) string {
	if p == 0 {
		return "none"
	}
	return fmt.Sprint(p)
}
