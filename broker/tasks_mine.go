package broker

import (
	"context"
	"strconv"
)

// MyTask is a task as its assignee lists it: the dossier, the task's id,
// its description (dossier text, opened from its sealed form), due date and
// status. Nothing else of the dossier or the person.
type MyTask struct {
	CaseID      string `json:"case_id"`
	Task        string `json:"task"`
	Description string `json:"description"`
	Due         string `json:"due"`
	Status      string `json:"status"`
}

// MyTaskPage is one page of the requester's tasks.
type MyTaskPage struct {
	Items      []MyTask `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// myTaskNames are the names a non-empty page releases, for the audit log.
var myTaskNames = []string{"task.case_id", "task.description", "task.due", "task.id", "task.status"}

// MyTasks answers GET /v1/tasks/mine: the tasks assigned to the requester's
// actor on the open dossiers whose roster holds it, any actor of the
// operational table under case_conference. A dossier closed, or the actor
// taken off its roster, drops its tasks at once (need to know).
//
// It reads the actor's own roster index (the open dossiers whose roster
// holds it), so its cost does not depend on the dossiers the requester is
// not on. Order: by dossier, oldest first, and within a dossier in order of
// assignment. The cursor and ?limit= page over those dossiers: a page holds
// the requester's tasks of at most limit dossiers (each holds at most
// maxTasks tasks).
//
// Steps: authenticate, decide, the query (422 naming limit or cursor), read
// the actor's dossiers, check each once more (open, on its roster), open the
// descriptions, audit with the names released, answer.
func (s *Service) MyTasks(ctx context.Context, req *Request, cursor, limit string) (MyTaskPage, error) {
	c, err := s.begin(ctx, req, ActionTaskMine)
	if err != nil {
		return MyTaskPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return MyTaskPage{}, err
	}
	n := DefaultLimit
	if limit != "" {
		if n, err = strconv.Atoi(limit); err != nil || n < 1 || n > MaxLimit {
			return MyTaskPage{}, c.fail(ctx, Invalid("limit", "must be from 1 to %d", MaxLimit))
		}
	}
	if cursor != "" && !cursorPattern.MatchString(cursor) {
		return MyTaskPage{}, c.fail(ctx, Invalid("cursor", "is not a cursor of this list"))
	}
	cases, next, err := s.c.Store.ListCases(ctx, CaseQuery{
		Livc: c.cell.ID, Scope: ScopeRoster, Actor: c.actor.ID, Cursor: cursor, Limit: n,
	})
	if err != nil {
		return MyTaskPage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	page := MyTaskPage{Items: []MyTask{}, NextCursor: next}
	for _, k := range cases {
		if !inScope(ScopeRoster, k, c.actor.ID) { // a stale index releases nothing
			continue
		}
		for _, t := range k.Tasks {
			if t.Actor != c.actor.ID {
				continue
			}
			d, err := s.openText(ctx, k, "task:"+t.ID+":description", t.SealedDescription)
			if err != nil {
				return MyTaskPage{}, c.fail(ctx, err)
			}
			page.Items = append(page.Items, MyTask{CaseID: k.ID, Task: t.ID, Description: d, Due: t.Due, Status: t.Status})
		}
	}
	c.entry.Released = []string{}
	if len(page.Items) > 0 {
		c.entry.Released = myTaskNames
	}
	c.entry.Reason = strconv.Itoa(len(page.Items)) + " tasks"
	if err := c.allow(ctx); err != nil {
		return MyTaskPage{}, err
	}
	return page, nil
}
