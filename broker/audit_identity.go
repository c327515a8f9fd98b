package broker

import (
	"context"
)

// ReportPage is the answer of the per-person report asked by identity
// (POST /v1/audit/report): the person's subject ref, so that the officer can
// page on by ref, and the first page of the report.
type ReportPage struct {
	SubjectRef string       `json:"subject_ref"`
	Items      []AuditEntry `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// AuditReportByIdentity answers POST /v1/audit/report: the per-person report
// of the person an age-encrypted identity names ({"subject": {...}}, as a
// lookup takes it), for the privacy officer under audit_review.
//
// The broker turns the identity into the subject ref it links to the
// person, or, for a person it does not know (or no longer knows: erased),
// the ref the person would get from its strongest identifier; an unknown
// person thus simply has an empty report, and the answer says nothing more
// about whether the broker knows the person than the report itself. The
// request's own audit entry holds that ref, never the identity, and no hit
// or no-hit.
//
// Steps: authenticate, decide, open the envelope, parse, pseudonymize, audit,
// read.
func (s *Service) AuditReportByIdentity(ctx context.Context, req *Request, q AuditQuery) (ReportPage, error) {
	c, err := s.begin(ctx, req, ActionAuditReport)
	if err != nil {
		return ReportPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return ReportPage{}, err
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return ReportPage{}, c.fail(ctx, Invalid("limit", "must be from 1 to %d", MaxLimit))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return ReportPage{}, c.fail(ctx, Invalid("to", "is before from"))
	}
	if err := s.c.Audit.CheckCursor(q.Cursor); err != nil {
		return ReportPage{}, c.fail(ctx, err)
	}
	in, err := openEnvelope(ctx, s, c, nil, func(plaintext []byte) (Identity, error) {
		return ParseLookup(c.cell, plaintext)
	})
	if err != nil {
		return ReportPage{}, err
	}
	id := in.value
	aliases := s.c.Pseudonyms.Aliases(c.cell.ID, id)
	if len(aliases) == 0 {
		return ReportPage{}, c.fail(ctx, Invalid("subject", "does not name a person"))
	}
	ref, err := s.c.Store.FindSubject(ctx, c.cell.ID, aliases)
	switch {
	case isNotFound(err):
		ref = NewSubjectRef() // no entry is about it
	case err != nil:
		return ReportPage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	c.entry.SubjectRef = ref
	if err := c.allow(ctx); err != nil {
		return ReportPage{}, err
	}
	sq := AuditQuery{Livc: c.cell.ID, SubjectRef: ref, Cursor: q.Cursor, Limit: q.Limit, From: q.From, To: q.To}
	items, next, err := s.c.Audit.List(ctx, sq)
	if err != nil {
		return ReportPage{}, unavailable(err)
	}
	if items == nil {
		items = []AuditEntry{}
	}
	return ReportPage{SubjectRef: ref, Items: items, NextCursor: next}, nil
}
