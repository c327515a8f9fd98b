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
	c, err := s.begin(ctx, req, "case.list")
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
	for _, k := range cases {
		if !inScope(d.Scope, k, c.actor.ID) {
			continue
		}
		v, err := s.view(ctx, k, req.Purpose)
		if err != nil {
			return CasePage{}, c.fail(ctx, err)
		}
		page.Items = append(page.Items, v)
	}
	c.entry.Released = caseViewFields(req.Purpose)
	c.entry.Reason = fmt.Sprintf("scope %s: %d dossiers", d.Scope, len(page.Items))
	if err := c.allow(ctx); err != nil {
		return CasePage{}, err
	}
	return page, nil
}

// ReadCase answers GET /v1/cases/{id}: one dossier, if the policy puts it in
// the requester's scope; else the same 404 as an unknown one.
func (s *Service) ReadCase(ctx context.Context, req *Request, caseID string) (CaseView, error) {
	c, err := s.begin(ctx, req, "case.read")
	if err != nil {
		return CaseView{}, err
	}
	k, err := s.loadCase(ctx, c, caseID)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if _, err := c.decideOnCase(ctx, k, nil); err != nil {
		return CaseView{}, err
	}
	v, err := s.view(ctx, k, req.Purpose)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	c.entry.Released = caseViewFields(req.Purpose)
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

// caseViewFields names what a dossier view releases, for the audit log.
func caseViewFields(purpose string) []string {
	f := []string{"category", "history", "priority", "roster", "state", "subject_ref", "tasks"}
	if purpose == PurposeCaseConference {
		f = append(f, "history.reason", "tasks.report")
	}
	slices.Sort(f)
	return f
}

// view opens a dossier's texts for a requester under purpose. Texts written
// under case_conference (task reports, transition reasons) are shown under
// that purpose only.
func (s *Service) view(ctx context.Context, k Case, purpose string) (CaseView, error) {
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
			return CaseView{}, err
		}
		if full {
			if tv.Report, err = s.openText(ctx, k, "task:"+t.ID+":report", t.SealedReport); err != nil {
				return CaseView{}, err
			}
		}
		v.Tasks = append(v.Tasks, tv)
	}
	for i, m := range k.History {
		mv := MoveView{From: m.From, To: m.To, By: m.By, At: m.At}
		if full {
			var err error
			if mv.Reason, err = s.openText(ctx, k, fmt.Sprintf("move:%d", i), m.SealedReason); err != nil {
				return CaseView{}, err
			}
		}
		v.History = append(v.History, mv)
	}
	return v, nil
}

// sealText seals a text of dossier k under its person's data key, bound to
// the dossier and the text's place in it (what), and returns the key it
// used, which the write must carry: a fresh one (stored by the write) when
// the person has none, as after an erasure.
func (s *Service) sealText(ctx context.Context, k Case, what, text string) ([]byte, KeyUse, error) {
	key, err := s.keyFor(ctx, k.Livc, k.SubjectRef)
	if err != nil {
		return nil, KeyUse{}, err
	}
	out, err := s.c.Sealer.Seal(key.Wrapped, textAD(k, what), []byte(text))
	if err != nil {
		return nil, KeyUse{}, Wrap(KindInternal, err, "a text could not be sealed")
	}
	return out, key, nil
}

// openText reverses sealText; no sealed text is "". A person erased (its
// data key gone) has texts that no longer open: they read as "".
func (s *Service) openText(ctx context.Context, k Case, what string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	wrapped, err := s.c.Store.ExistingDataKey(ctx, k.Livc, k.SubjectRef)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", Wrap(KindUnavailable, err, "the store is unavailable")
	}
	plain, err := s.c.Sealer.Open(wrapped, textAD(k, what), sealed)
	if err != nil {
		return "", Wrap(KindInternal, err, "a text could not be decrypted")
	}
	return string(plain), nil
}

func textAD(k Case, what string) []byte {
	return []byte("livc-case-text-v1\x00" + k.Livc + "\x00" + k.ID + "\x00" + what)
}
