package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
)

// csvHeader is the export's header row; csvRow writes one entry under it.
var csvHeader = []string{"id", "index", "time", "actor", "sub", "action", "purpose", "decision",
	"subject_ref", "case_id", "released", "withheld", "policy_revision", "reason", "request_id"}

// auditCSV exports the entries of the log page's filter (every entry, not
// one page) as CSV: one use case, audited as an audit.export of a filtered
// view before anything is answered. An attachment, never stored by the
// browser (no-store, like every answer of the web application).
func (s *Server) auditCSV(x *reqCtx) {
	f := filterOf(x.r.URL.Query())
	req, ctx := x.request(nil)
	q, err := f.query(s.tr.brussel, "")
	req.Refuse = err
	items, err := s.b.ExportAuditView(ctx, req, q)
	if err != nil {
		x.fail(req, err)
		return
	}
	body, err := auditCSVBody(items, s.tr.brussel)
	if err != nil {
		x.fail(req, broker.Wrap(broker.KindInternal, err, "writing the CSV"))
		return
	}
	name := fmt.Sprintf("audit-%s-%s.csv", x.cell.ID, s.c.Now().In(s.tr.brussel).Format("20060102-150405"))
	h := x.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	x.w.WriteHeader(http.StatusOK)
	x.w.Write(body)
}

// auditCSVBody writes the header row and one row per entry (RFC 4180), the
// time in ISO 8601 with the Brussels offset, lists joined by spaces.
func auditCSVBody(items []broker.AuditEntry, loc *time.Location) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(csvHeader); err != nil {
		return nil, err
	}
	for _, e := range items {
		row := []string{e.ID, fmt.Sprint(e.Index), e.Time.In(loc).Format(time.RFC3339), e.Actor, e.Sub,
			e.Action, e.Purpose, e.Decision, e.SubjectRef, e.CaseID, strings.Join(e.Released, " "),
			strings.Join(e.Withheld, " "), e.PolicyRevision, e.Reason, e.RequestID}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet: a
// value starting with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before one) is prefixed with an apostrophe. A sub or a
// reason is written by others than the broker: it could start with "=".
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
