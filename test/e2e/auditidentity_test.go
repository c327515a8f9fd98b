package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// reportByIdentity asks the per-person report with an encrypted identity.
func (w *world) reportByIdentity(t *testing.T, actor string, subject map[string]any) (response, broker.ReportPage) {
	t.Helper()
	r := w.send("POST", actor, "audit_review", "/v1/audit/report?limit=1000", "application/age",
		seal(t, w.recip, mustMarshal(t, map[string]any{"subject": subject})))
	var page broker.ReportPage
	if r.Status == 200 {
		r.json(t, &page)
	}
	return r, page
}

// checkIdentityReport: the privacy officer asks the report of the story's
// person by identity (the full one, or the national number alone), of an
// unknown person, and through livcctl audit report --subject; the audit
// entries of those reports hold the ref, never the identity (checkReview
// then scans every entry for the identity in the clear).
func (w *world) checkIdentityReport(t *testing.T) {
	t.Run("known person, by full identity and by national number", func(t *testing.T) {
		byRef := w.get("dpo", "audit_review", "/v1/audit/report?limit=1000&subject_ref="+w.ref)
		var want broker.AuditPage
		byRef.json(t, &want)
		for _, subject := range []map[string]any{fullSubject, nnSubject} {
			r, page := w.reportByIdentity(t, "dpo", subject)
			if r.Status != 200 || page.SubjectRef != w.ref {
				t.Fatalf("report by identity: %d %s", r.Status, r.Body)
			}
			reads := 0
			for _, e := range page.Items {
				if e.SubjectRef != w.ref {
					t.Errorf("entry about %q in the report", e.SubjectRef)
				}
				if e.Action == "card.read" && e.Decision == broker.DecisionAllow {
					reads++
				}
			}
			// The same report as by ref, plus the report entries since.
			if reads == 0 || len(page.Items) < len(want.Items) || page.Items[0].ID != want.Items[0].ID {
				t.Fatalf("report by identity: %d items, %d reads; by ref %d items", len(page.Items), reads, len(want.Items))
			}
		}
	})
	t.Run("unknown person has an empty report", func(t *testing.T) {
		r, page := w.reportByIdentity(t, "dpo", map[string]any{"national_number": "90020199704"})
		if r.Status != 200 || page.SubjectRef == "" || page.SubjectRef == w.ref {
			t.Fatalf("unknown person: %d %s", r.Status, r.Body)
		}
		for _, e := range page.Items {
			if e.Action != broker.ActionAuditReport { // only the officer's own look
				t.Fatalf("unknown person's report holds %+v", e)
			}
		}
	})
	t.Run("refusals", func(t *testing.T) {
		if r, _ := w.reportByIdentity(t, "pz", fullSubject); r.Status != 403 {
			t.Fatalf("police asks the report: %d %s", r.Status, r.Body)
		}
		if r, _ := w.reportByIdentity(t, "dpo", map[string]any{"national_number": "85073003329"}); r.Status != 422 && r.Status != 400 {
			t.Fatalf("bad national number: %d %s", r.Status, r.Body)
		}
		r := w.send("POST", "dpo", "audit_review", "/v1/audit/report", "application/age", []byte(`{"subject":{"national_number":"85073003328"}}`))
		if r.Status != 400 {
			t.Fatalf("identity not encrypted: %d %s", r.Status, r.Body)
		}
	})
	t.Run("the report's entry holds the ref", func(t *testing.T) {
		r := w.get("dpo", "audit_review", "/v1/audit?action=audit.report&order=desc&limit=20")
		var page broker.AuditPage
		r.json(t, &page)
		refs := map[string]int{}
		for _, e := range page.Items {
			refs[e.SubjectRef]++
		}
		if refs[w.ref] < 2 {
			t.Fatalf("report entries by ref: %v", refs)
		}
	})
	t.Run("livcctl audit report --subject", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "who.json")
		must(t, os.WriteFile(file, mustMarshal(t, fullSubject), 0o600))
		cmd := exec.Command(filepath.Join(binDir, "livcctl"), "audit", "report", "--subject", file)
		cmd.Env = append(os.Environ(), "LIVC_BROKER="+w.broker.URL, "LIVC_TOKEN="+w.iss.token(t, w.model.Livc, "dpo"))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("livcctl: %v: %s", err, errb.String())
		}
		var rep struct {
			SubjectRef string              `json:"subject_ref"`
			Items      []broker.AuditEntry `json:"items"`
		}
		must(t, json.Unmarshal(out.Bytes(), &rep))
		if rep.SubjectRef != w.ref || len(rep.Items) == 0 {
			t.Fatalf("livcctl report: %s", out.String())
		}
	})
}

// checkFailedLogins: tokens signed by a key the broker does not trust, that
// claim the story's cell and the police, are filed in that cell's log,
// unverified, without the claimed sub, and alert; a token naming no cell of
// this broker goes to the broker's own log.
func (w *world) checkFailedLogins(t *testing.T) {
	forger := newIssuer(t)
	var ids []string
	for range 6 {
		r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
			"Authorization", "Bearer "+forger.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "case_conference")
		if r.Status != 401 || r.Header.Get("X-Audit-Id") == "" {
			t.Fatalf("forged token: %d %s", r.Status, r.Body)
		}
		ids = append(ids, r.Header.Get("X-Audit-Id"))
	}
	rc := w.redis.client(t)
	ctx := context.Background()
	before, err := rc.XLen(ctx, "livc:{livc:_broker}:audit").Result()
	must(t, err)
	r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
		"Authorization", "Bearer "+forger.token(t, "elsewhere", "pz"), "LIVC-Purpose", "case_conference")
	if r.Status != 401 {
		t.Fatalf("token of another cell: %d", r.Status)
	}
	if after, _ := rc.XLen(ctx, "livc:{livc:_broker}:audit").Result(); after != before+1 {
		t.Fatalf("broker log grew by %d for a token of no cell here", after-before)
	}

	bl := w.get("dpo", "audit_review", "/v1/audit?log=broker&order=desc&limit=1")
	var brokerLog broker.AuditPage
	bl.json(t, &brokerLog)
	if bl.Status != 200 || len(brokerLog.Items) != 1 || brokerLog.Items[0].Action != "auth.fail" ||
		brokerLog.Items[0].Livc != "" || brokerLog.Items[0].Unverified {
		t.Fatalf("the broker log as the privacy officer reads it: %d %s", bl.Status, bl.Body)
	}
	if r := w.get("pz", "audit_review", "/v1/audit?log=broker"); r.Status != 403 {
		t.Fatalf("the police reads the broker log: %d", r.Status)
	}

	page := w.get("dpo", "audit_review", "/v1/audit?action=auth.fail&order=desc&limit=50")
	var entries broker.AuditPage
	page.json(t, &entries)
	found := 0
	for _, e := range entries.Items {
		if slices.Contains(ids, e.ID) {
			found++
			if !e.Unverified || e.Actor != "pz" || e.Sub != "" || e.Livc != w.model.Livc {
				t.Errorf("failed login entry %+v", e)
			}
		}
		if strings.Contains(e.Reason, "elsewhere") {
			t.Errorf("a claimed string was recorded: %+v", e)
		}
	}
	if found != len(ids) {
		t.Fatalf("%d of %d failed logins in the cell's log: %s", found, len(ids), page.Body)
	}

	al := w.get("dpo", "audit_review", "/v1/audit/alerts")
	var alerts broker.AlertsPage
	al.json(t, &alerts)
	for _, a := range alerts.Items {
		if a.Kind == broker.AlertAuthFailures && a.Actor == "pz" && slices.Contains(ids, a.Entries[0]) {
			return
		}
	}
	t.Fatalf("no failed_logins alert for the forged police logins: %s", al.Body)
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}
