package broker

import (
	"context"
	"time"
)

// AuditPage is one page of the audit log.
type AuditPage struct {
	Items      []AuditEntry `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Paging limits of every list.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ListAudit answers GET /v1/audit for the privacy officer: the entries of
// the requester's own cell that match q, or with q.BrokerLog of the broker's
// own log. The read is audited before anything
// is returned.
func (s *Service) ListAudit(ctx context.Context, req *Request, q AuditQuery) (AuditPage, error) {
	c, err := s.begin(ctx, req, ActionAuditRead)
	if err != nil {
		return AuditPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return AuditPage{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return AuditPage{}, c.fail(ctx, Invalid("limit", "must be from 1 to %d", MaxLimit))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return AuditPage{}, c.fail(ctx, Invalid("to", "is before from"))
	}
	if err := s.c.Audit.CheckCursor(q.Cursor); err != nil {
		return AuditPage{}, c.fail(ctx, err)
	}
	q.Livc = c.cell.ID
	if q.BrokerLog {
		// Any privacy officer may read the broker's own log: it holds
		// refused logins, which no claim of a token files under a
		// cell, so no cell's data.
		q.Livc = ""
		c.entry.Reason = "broker log"
	}
	c.entry.SubjectRef, c.entry.CaseID = q.SubjectRef, q.CaseID
	if err := c.allow(ctx); err != nil {
		return AuditPage{}, err
	}
	items, next, err := s.c.Audit.List(ctx, q)
	if err != nil {
		return AuditPage{}, Wrap(KindUnavailable, err, "the audit log is unavailable")
	}
	if items == nil {
		items = []AuditEntry{}
	}
	return AuditPage{Items: items, NextCursor: next}, nil
}

// ParseTime reads an RFC 3339 time of a query parameter.
func ParseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, Invalid(name, "must be an RFC 3339 time")
	}
	return t, nil
}
