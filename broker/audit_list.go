package broker

import (
	"context"
	"strings"
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
	c, q, err := s.beginAuditList(ctx, req, ActionAuditRead, q)
	if err != nil {
		return AuditPage{}, err
	}
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

// MaxExportRows bounds the entries one export of a filtered view holds.
const MaxExportRows = 10_000

// ReasonFilteredExport is the reason of the audit entry of an export of a
// filtered view (ExportAuditView), which tells it from an export of the
// verifiable log (AuditExport) under the same action.
const ReasonFilteredExport = "export of a filtered view"

// ExportAuditView answers the web console's export of a filtered view of
// the log: every entry that matches q (q.Cursor and q.Limit ignored: all of
// them, in q's order), audited as one audit.export naming the filter's
// person and dossier, before anything is returned. More than MaxExportRows
// matching entries is refused (422 on "to": narrow the filters), audited,
// rather than answered in part.
func (s *Service) ExportAuditView(ctx context.Context, req *Request, q AuditQuery) ([]AuditEntry, error) {
	q.Cursor, q.Limit = "", MaxLimit
	c, q, err := s.beginAuditList(ctx, req, ActionAuditExport, q)
	if err != nil {
		return nil, err
	}
	c.entry.Reason = strings.TrimSuffix(ReasonFilteredExport+": "+c.entry.Reason, ": ")
	all := []AuditEntry{}
	for {
		items, next, err := s.c.Audit.List(ctx, q)
		if err != nil {
			return nil, c.fail(ctx, Wrap(KindUnavailable, err, "the audit log is unavailable"))
		}
		all = append(all, items...)
		if len(all) > MaxExportRows {
			return nil, c.fail(ctx, Invalid("to", "more than %d entries match: narrow the filters", MaxExportRows))
		}
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if err := c.allow(ctx); err != nil {
		return nil, err
	}
	return all, nil
}

// beginAuditList runs the common steps of a listing of the log under
// action: authenticate, decide, check q (a refusal audited), and fill the
// entry's scope. It returns q scoped to the requester's cell; the caller
// allows (audits) before it returns anything read.
func (s *Service) beginAuditList(ctx context.Context, req *Request, action string, q AuditQuery) (*call, AuditQuery, error) {
	c, err := s.begin(ctx, req, action)
	if err != nil {
		return nil, q, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return nil, q, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return nil, q, c.fail(ctx, Invalid("limit", "must be from 1 to %d", MaxLimit))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, q, c.fail(ctx, Invalid("to", "is before from"))
	}
	if err := s.c.Audit.CheckCursor(q.Cursor); err != nil {
		return nil, q, c.fail(ctx, err)
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
	return c, q, nil
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
