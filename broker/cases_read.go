package broker

import (
	"context"
	"fmt"
	"regexp"
	"slices"
)

// ListCases answers GET /v1/cases: one page of exactly the dossiers the
// requester may see under the declared purpose.
//
// The policy is evaluated once for the whole request and yields a scope
// (every dossier of the cell, or the open dossiers whose roster holds the
// requester); the store reads that scope's own index, so the cost of a page
// does not depend on dossiers outside it. Each dossier is checked against
// the scope once more before release, as a guard against a stale index.
func (s *Service) ListCases(ctx context.Context, req *Request, cursor string, limit int) (CasePage, error) {
	c, err := s.begin(ctx, req, ActionCaseList)
	if err != nil {
		return CasePage{}, err
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return CasePage{}, c.fail(ctx, Invalid("limit", "must be from 1 to %d", MaxLimit))
	}
	if cursor != "" && !cursorPattern.MatchString(cursor) {
		return CasePage{}, c.fail(ctx, Invalid("cursor", "is not a cursor of this list"))
	}
	d, err := c.decide(ctx, DecisionInput{})
	if err != nil {
		return CasePage{}, err
	}
	cases, next, err := s.c.Store.ListCases(ctx, CaseQuery{
		Livc: c.cell.ID, Scope: d.Scope, Actor: c.actor.ID, Cursor: cursor, Limit: limit,
	})
	if err != nil {
		return CasePage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	page := CasePage{Items: make([]CaseView, 0, len(cases)), NextCursor: next}
	var released []string
	for _, k := range cases {
		if !inScope(d.Scope, k, c.actor.ID) {
			continue
		}
		v, names, err := s.view(ctx, k, req.Purpose)
		if err != nil {
			return CasePage{}, c.fail(ctx, err)
		}
		page.Items = append(page.Items, v)
		released = append(released, names...)
	}
	c.entry.Released = sortedSet(released)
	c.entry.Reason = fmt.Sprintf("scope %s: %d dossiers", d.Scope, len(page.Items))
	if err := c.allow(ctx); err != nil {
		return CasePage{}, err
	}
	return page, nil
}

// ReadCase answers GET /v1/cases/{id}: one dossier, if the policy puts it in
// the requester's scope; else the same 404 as an unknown one.
func (s *Service) ReadCase(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, err := s.begin(ctx, req, ActionCaseRead)
	if err != nil {
		return CaseView{}, err
	}
	k, err := s.judgeCase(ctx, c, caseID)
	if err != nil {
		return CaseView{}, err
	}
	v, released, err := s.view(ctx, k, req.Purpose)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	c.entry.Released = released
	c.entry.Reason = "state " + k.State
	if err := c.allow(ctx); err != nil {
		return CaseView{}, err
	}
	return v, nil
}

var cursorPattern = regexp.MustCompile(`^[0-9]{1,18}$`)

// inScope is the pipeline's own check that a dossier the store returned
// fits the scope the policy gave.
func inScope(scope string, k Case, actor string) bool {
	switch scope {
	case ScopeCell:
		return true
	case ScopeRoster:
		return k.Open() && slices.Contains(k.Roster, actor)
	}
	return false
}

// viewNames names what a dossier view releases, for the audit log: the
// parts it holds, and the texts only when some is shown.
func viewNames(v CaseView) []string {
	names := []string{"category", "roster", "state", "subject_ref"}
	if v.Priority != 0 {
		names = append(names, "priority")
	}
	if len(v.History) > 0 {
		names = append(names, "history")
	}
	if slices.ContainsFunc(v.History, func(m MoveView) bool { return m.Reason != "" }) {
		names = append(names, "history.reason")
	}
	if slices.ContainsFunc(v.History, func(m MoveView) bool { return m.Outcome != "" }) {
		names = append(names, "history.outcome")
	}
	if slices.ContainsFunc(v.History, func(m MoveView) bool { return len(m.Measures) > 0 }) {
		names = append(names, "history.measures")
	}
	if len(v.Tasks) > 0 {
		names = append(names, "tasks")
	}
	if slices.ContainsFunc(v.Tasks, func(t TaskView) bool { return t.Description != "" }) {
		names = append(names, "tasks.description")
	}
	if slices.ContainsFunc(v.Tasks, func(t TaskView) bool { return t.Report != "" }) {
		names = append(names, "tasks.report")
	}
	return sortedSet(names)
}

// releaseView is what the answer of a write to dossier k, as the write
// leaves it, may carry: the view a case.read of k by the requester under
// the request's purpose would give, when the policy allows that read, else
// the dossier's id, pseudonym, category and state alone (a roster member
// that closes a dossier sees it no more). Its names go into the request's
// entry, which the caller commits with the write: the answer is a release
// like any read. A policy that cannot decide is an error.
func (s *Service) releaseView(ctx context.Context, c *call, k Case) (CaseView, error) {
	in := c.input(DecisionInput{Case: &CaseScope{State: k.State, OnRoster: slices.Contains(k.Roster, c.actor.ID)}})
	in.Action = ActionCaseRead
	d, err := s.c.Policy.Decide(ctx, in)
	if err != nil {
		return CaseView{}, Wrap(KindUnavailable, err, "the policy could not decide; denied")
	}
	if !d.Allow {
		c.entry.Released = []string{"category", "state", "subject_ref"}
		return CaseView{ID: k.ID, SubjectRef: k.SubjectRef, Category: k.Category, State: k.State,
			Roster: []string{}, Tasks: []TaskView{}, History: []MoveView{}, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}, nil
	}
	v, names, err := s.view(ctx, k, c.req.Purpose)
	if err != nil {
		return CaseView{}, err
	}
	c.entry.Released = names
	return v, nil
}

// view opens a dossier's texts for a requester under purpose, and names
// what it holds (viewNames). Texts written under case_conference (task
// reports, transition reasons) are shown under that purpose only.
func (s *Service) view(ctx context.Context, k Case, purpose string) (CaseView, []string, error) {
	v := CaseView{
		ID: k.ID, SubjectRef: k.SubjectRef, Category: k.Category, State: k.State,
		Priority: k.Priority, Roster: k.Roster, Tasks: []TaskView{}, History: []MoveView{},
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
	}
	if v.Roster == nil {
		v.Roster = []string{}
	}
	full := purpose == PurposeCaseConference
	for _, t := range k.Tasks {
		tv := TaskView{ID: t.ID, Actor: t.Actor, Due: t.Due, Scenario: t.Scenario, Status: t.Status,
			AssignedBy: t.AssignedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
		var err error
		if tv.Description, err = s.openText(ctx, k, "task:"+t.ID+":description", t.SealedDescription); err != nil {
			return CaseView{}, nil, err
		}
		if full {
			if tv.Report, err = s.openText(ctx, k, "task:"+t.ID+":report", t.SealedReport); err != nil {
				return CaseView{}, nil, err
			}
		}
		v.Tasks = append(v.Tasks, tv)
	}
	for i, m := range k.History {
		mv := MoveView{From: m.From, To: m.To, By: m.By, At: m.At, Outcome: m.Outcome}
		if full {
			var err error
			if mv.Reason, err = s.openText(ctx, k, fmt.Sprintf("move:%d", i), m.SealedReason); err != nil {
				return CaseView{}, nil, err
			}
			if mv.Measures, err = s.openMeasures(ctx, k, i, m.SealedMeasures); err != nil {
				return CaseView{}, nil, err
			}
		}
		v.History = append(v.History, mv)
	}
	return v, viewNames(v), nil
}
