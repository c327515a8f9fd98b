package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PriorityRequest sets a dossier's priority (PUT /v1/cases/{id}/priority).
type PriorityRequest struct {
	Priority int `json:"priority"`
}

// TaskRequest assigns a task (POST /v1/cases/{id}/tasks).
type TaskRequest struct {
	Actor       string `json:"actor"`
	Description string `json:"description"`
	Due         string `json:"due"`
	Scenario    string `json:"scenario"`
}

// TaskReport reports on a task (PATCH /v1/cases/{id}/tasks/{task}).
type TaskReport struct {
	Status string `json:"status"`
	Report string `json:"report"`
}

const (
	maxTasks            = 100
	maxDescriptionRunes = 2000
	maxReportRunes      = 4000
)

// SetPriority sets the priority (1, highest, to 5) of an open dossier: the
// tactical table, under prioritisation. Audited with the old and new value.
func (s *Service) SetPriority(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, err := s.begin(ctx, req, "case.priority")
	if err != nil {
		return CaseView{}, err
	}
	prev, err := s.loadCase(ctx, c, caseID)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	k := prev.clone()
	body, err := c.body(ctx)
	if err != nil {
		return CaseView{}, err
	}
	var in PriorityRequest
	if err := decodeBody(body, &in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if in.Priority < 1 || in.Priority > 5 {
		return CaseView{}, c.fail(ctx, Invalid("priority", "must be from 1 to 5"))
	}
	if _, err := c.decideOnCase(ctx, k, map[string]any{"priority": in.Priority}); err != nil {
		return CaseView{}, err
	}
	c.entry.Reason = fmt.Sprintf("priority %s -> %d", priorityName(k.Priority), in.Priority)
	k.Priority, k.UpdatedAt = in.Priority, s.c.Now().UTC()
	return s.commitCase(ctx, c, prev, k, KeyUse{})
}

// AssignTask assigns a task on an open dossier to an actor of the
// operational table: the tactical table, under prioritisation. The
// description is sealed under the person's data key; the audit holds the
// assignee and scenario, never the text.
func (s *Service) AssignTask(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, err := s.begin(ctx, req, "task.assign")
	if err != nil {
		return CaseView{}, err
	}
	prev, err := s.loadCase(ctx, c, caseID)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	k := prev.clone()
	body, err := c.body(ctx)
	if err != nil {
		return CaseView{}, err
	}
	var in TaskRequest
	if err := decodeBody(body, &in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if err := checkTask(c.cell, k, &in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	d, err := c.decideOnCase(ctx, k, map[string]any{"actor": in.Actor})
	if err != nil {
		if slices.Contains(d.Reasons, "task_actor_not_operational") {
			return CaseView{}, Invalid("actor", "names an actor that does not sit at the operational table")
		}
		return CaseView{}, err
	}
	t := Task{ID: NewID("task"), Actor: in.Actor, Due: in.Due, Scenario: in.Scenario, Status: TaskOpen,
		AssignedBy: c.actor.ID, CreatedAt: s.c.Now().UTC()}
	t.UpdatedAt = t.CreatedAt
	var key KeyUse
	if t.SealedDescription, key, err = s.sealText(ctx, k, "task:"+t.ID+":description", in.Description); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	k.Tasks = append(k.Tasks, t)
	k.UpdatedAt = t.CreatedAt
	c.entry.Reason = fmt.Sprintf("task %s to %s (%s, due %s)", t.ID, t.Actor, t.Scenario, t.Due)
	return s.commitCase(ctx, c, prev, k, key)
}

// ReportTask reports on a task: only its assigned actor, under
// case_conference, while the dossier is open. Status moves open →
// in_progress → done, or open → done at once; a report may repeat
// in_progress to add text, but done is final and nothing goes back (see
// taskMoves). The report is sealed; the audit holds the statuses.
func (s *Service) ReportTask(ctx context.Context, req *Request, caseID, taskID string) (CaseView, error) {
	c, err := s.begin(ctx, req, "task.report")
	if err != nil {
		return CaseView{}, err
	}
	prev, err := s.loadCase(ctx, c, caseID)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	k := prev.clone()
	i := slices.IndexFunc(k.Tasks, func(t Task) bool { return t.ID == taskID })
	if i < 0 || !ValidTaskID(taskID) {
		return CaseView{}, c.fail(ctx, ErrNotFoundForRequester)
	}
	body, err := c.body(ctx)
	if err != nil {
		return CaseView{}, err
	}
	var in TaskReport
	if err := decodeBody(body, &in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if !slices.Contains(taskOrder, in.Status) {
		// A value no task can hold is bad input (422), not a move refused
		// by the task's state (409).
		return CaseView{}, c.fail(ctx, Invalid("status", "must be one of in_progress, done"))
	}
	if err := checkFreeText("report", in.Report, maxReportRunes); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	t := k.Tasks[i]
	if _, err := c.decideOnCase(ctx, k, map[string]any{"assignee": t.Actor}); err != nil {
		return CaseView{}, err
	}
	if err := checkTaskMove(t.Status, in.Status); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	var key KeyUse
	if t.SealedReport, key, err = s.sealText(ctx, k, "task:"+t.ID+":report", in.Report); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	c.entry.Reason = fmt.Sprintf("task %s %s -> %s", t.ID, t.Status, in.Status)
	t.Status, t.UpdatedAt = in.Status, s.c.Now().UTC()
	k.Tasks[i], k.UpdatedAt = t, t.UpdatedAt
	return s.commitCase(ctx, c, prev, k, key)
}

// commitCase commits the change of prev to k with its allow entry and
// answers k's view.
func (s *Service) commitCase(ctx context.Context, c *call, prev, k Case, key KeyUse) (CaseView, error) {
	if err := s.updateCase(ctx, c, prev, k, key); err != nil {
		return CaseView{}, err
	}
	return s.view(ctx, k, c.req.Purpose)
}

// updateCase commits the change of a dossier from prev, as loaded, to next,
// with the request's allow entry, in one step. A dossier changed by another
// request in between is not overwritten: the answer is 409, and the client
// reloads and decides again (the policy decided on prev).
func (s *Service) updateCase(ctx context.Context, c *call, prev, next Case, key KeyUse) error {
	return c.write(ctx, 1, func() (Write, error) { return s.c.Store.PlanUpdateCase(ctx, prev, next, key) })
}

// checkTask refuses a task request the policy need not see: an actor
// unknown to the cell, a missing or oversized description, a due date that
// is not a calendar date from 2000 to 2200, a scenario outside Scenarios, or
// a dossier already holding maxTasks tasks (409). Whether the actor sits at
// the operational table is the policy's decision.
func checkTask(cell *Cell, k Case, in *TaskRequest) error {
	if _, ok := cell.Actor(in.Actor); !ok {
		return Invalid("actor", "names an actor unknown to the cell")
	}
	if err := checkFreeText("description", in.Description, maxDescriptionRunes); err != nil {
		return err
	}
	due, err := time.Parse(time.DateOnly, in.Due)
	if err != nil || due.Year() < 2000 || due.Year() > 2200 {
		return Invalid("due", "must be a date (YYYY-MM-DD)")
	}
	if !slices.Contains(Scenarios, in.Scenario) {
		return Invalid("scenario", "must be one of proactive, preventive, curative, reactive")
	}
	if len(k.Tasks) >= maxTasks {
		return Errorf(KindConflict, "a dossier holds at most %d tasks", maxTasks)
	}
	return nil
}

var taskOrder = []string{TaskOpen, TaskInProgress, TaskDone}

// taskMoves reports whether a task may go from one status to another: ahead
// (open → in_progress, open → done, in_progress → done), or staying at
// in_progress to add a report. Done is final (done → done is refused: a
// finished task takes no more reports), and a report never reopens a task.
func taskMoves(from, to string) bool {
	f, t := slices.Index(taskOrder, from), slices.Index(taskOrder, to)
	return f >= 0 && t >= 0 && t >= f && !(from == TaskDone) && to != TaskOpen
}

// checkTaskMove refuses a status change taskMoves does not allow with a
// KindConflict (409) naming the statuses the task may move to.
func checkTaskMove(from, to string) error {
	if !taskMoves(from, to) {
		return Errorf(KindConflict, "a task %s can move only to: %s", from, orNoStatus(nextStatuses(from)))
	}
	return nil
}

func orNoStatus(statuses []string) string {
	if len(statuses) == 0 {
		return "none (the task is done)"
	}
	return strings.Join(statuses, ", ")
}

func nextStatuses(from string) []string {
	var out []string
	for _, to := range taskOrder {
		if taskMoves(from, to) {
			out = append(out, to)
		}
	}
	return out
}

func priorityName(p int) string {
	if p == 0 {
		return "none"
	}
	return fmt.Sprint(p)
}
