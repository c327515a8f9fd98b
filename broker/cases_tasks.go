package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

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

// AssignTask assigns a task on an open dossier to an actor on its roster:
// the tactical table, under prioritisation. The policy judges the request
// before its body, then the assignee it names (any other actor: 422 naming
// actor). The description is sealed under the person's data key; the audit
// holds the assignee and scenario, never the text.
func (s *Service) AssignTask(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, prev, in, err := openCase[TaskRequest](ctx, s, req, ActionTaskAssign, caseID)
	if err != nil {
		return CaseView{}, err
	}
	k := prev.clone()
	if err := checkTask(c.cell, k, &in); err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	d, err := c.decideOnCase(ctx, k, map[string]any{"actor": in.Actor, "case_roster": slices.Clone(k.Roster)})
	if err != nil {
		if slices.Contains(d.Reasons, "task_actor_not_on_roster") {
			return CaseView{}, Invalid("actor", "names an actor that is not on the dossier's roster")
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

// ReportTask reports on a task: only its assigned actor, on the roster of
// the open dossier, under case_conference. Status moves open → in_progress
// → done, or open → done at once; a report may repeat in_progress to add
// text, but done is final and nothing goes back (see taskMoves). The report
// is sealed; the audit holds the statuses. The answer is the task alone:
// its description and the report just written, audited as released.
func (s *Service) ReportTask(ctx context.Context, req *Request, caseID, taskID string) (TaskView, error) {
	var i int // the task's index in the dossier
	c, prev, in, err := openCaseBy[TaskReport](ctx, s, req, ActionTaskReport, func(c *call) (k Case, err error) {
		k, i, err = s.judgeTask(ctx, c, caseID, taskID)
		return k, err
	})
	if err != nil {
		return TaskView{}, err
	}
	k := prev.clone()
	if !slices.Contains(taskOrder, in.Status) {
		// A value no task can hold is bad input (422), not a move refused
		// by the task's state (409).
		return TaskView{}, c.fail(ctx, Invalid("status", "must be one of in_progress, done"))
	}
	if err := checkFreeText("report", in.Report, maxReportRunes); err != nil {
		return TaskView{}, c.fail(ctx, err)
	}
	t := k.Tasks[i]
	if err := checkTaskMove(t.Status, in.Status); err != nil {
		return TaskView{}, c.fail(ctx, err)
	}
	var key KeyUse
	if t.SealedReport, key, err = s.sealText(ctx, k, "task:"+t.ID+":report", in.Report); err != nil {
		return TaskView{}, c.fail(ctx, err)
	}
	description, err := s.openText(ctx, k, "task:"+t.ID+":description", t.SealedDescription)
	if err != nil {
		return TaskView{}, c.fail(ctx, err)
	}
	c.entry.Reason = fmt.Sprintf("task %s %s -> %s", t.ID, t.Status, in.Status)
	t.Status, t.UpdatedAt = in.Status, s.c.Now().UTC()
	k.Tasks[i], k.UpdatedAt = t, t.UpdatedAt
	c.entry.Released = []string{"task.description", "task.report"}
	if err := s.updateCase(ctx, c, prev, k, key); err != nil {
		return TaskView{}, err
	}
	return TaskView{ID: t.ID, Actor: t.Actor, Description: description, Due: t.Due, Scenario: t.Scenario,
		Status: t.Status, Report: in.Report, AssignedBy: t.AssignedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}, nil
}

// judgeTask loads the dossier and finds task taskID in it, judged as
// judgeCase does, with the task's assignee: a task the dossier does not hold
// is as unknown as the dossier (the uniform 404, after the purpose).
func (s *Service) judgeTask(ctx context.Context, c *call, caseID, taskID string) (Case, int, error) {
	k, err := s.loadCase(ctx, c, caseID)
	i := -1
	if err == nil && ValidTaskID(taskID) {
		i = slices.IndexFunc(k.Tasks, func(t Task) bool { return t.ID == taskID })
	}
	if err == nil && i < 0 {
		err = ErrNotFoundForRequester
	}
	if err != nil {
		return Case{}, 0, s.refuseMissing(ctx, c, err)
	}
	if _, err := c.decideOnCase(ctx, k, map[string]any{"assignee": k.Tasks[i].Actor}); err != nil {
		return Case{}, 0, err
	}
	return k, i, nil
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
