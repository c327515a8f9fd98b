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

// checkFailedLogins: a refused token is trusted for nothing. Tokens signed
// by a key the broker does not trust, that claim the story's cell and the
// police, go to the broker's own log with no cell, actor or sub, only the
// client's address and the reason; the cell's log gets none of them. A
// token the issuer signed for the cell but naming an actor the cell does
// not know is filed in the cell's log under its verified sub, and alerts.
// (Before, forged tokens were filed in the cell they claimed, marked
// unverified: the contract changed, docs/api.md "Every request".)
func (w *world) checkFailedLogins(t *testing.T) {
	forger := newIssuer(t)
	rc := w.redis.client(t)
	ctx := context.Background()
	cellLog := "livc:{livc:" + w.model.Livc + "}:audit"
	cellBefore, err := rc.XLen(ctx, cellLog).Result()
	must(t, err)
	var ids []string
	for range 6 {
		r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
			"Authorization", "Bearer "+forger.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "case_conference")
		if r.Status != 401 || r.Header.Get("X-Audit-Id") == "" {
			t.Fatalf("forged token: %d %s", r.Status, r.Body)
		}
		ids = append(ids, r.Header.Get("X-Audit-Id"))
	}
	if after, _ := rc.XLen(ctx, cellLog).Result(); after != cellBefore {
		t.Fatalf("the cell's log grew by %d for tokens that only claim it", after-cellBefore)
	}

	bl := w.get("dpo", "audit_review", "/v1/audit?log=broker&action=auth.fail&order=desc&limit=6")
	var brokerLog broker.AuditPage
	bl.json(t, &brokerLog)
	if bl.Status != 200 || len(brokerLog.Items) != len(ids) {
		t.Fatalf("the broker log as the privacy officer reads it: %d %s", bl.Status, bl.Body)
	}
	for _, e := range brokerLog.Items {
		if !slices.Contains(ids, e.ID) || e.Livc != "" || e.Actor != "" || e.Sub != "" || e.Unverified ||
			e.Client != "127.0.0.1" || e.Reason == "" {
			t.Errorf("failed login entry %+v", e)
		}
	}
	if r := w.get("pz", "audit_review", "/v1/audit?log=broker"); r.Status != 403 {
		t.Fatalf("the police reads the broker log: %d", r.Status)
	}

	var ghosts []string
	for range 5 {
		r := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
			"Authorization", "Bearer "+w.iss.token(t, w.model.Livc, "ghost"), "LIVC-Purpose", "case_conference")
		if r.Status != 401 || r.Header.Get("X-Audit-Id") == "" {
			t.Fatalf("token of an unknown actor: %d %s", r.Status, r.Body)
		}
		ghosts = append(ghosts, r.Header.Get("X-Audit-Id"))
	}
	page := w.get("dpo", "audit_review", "/v1/audit?action=auth.fail&order=desc&limit=50")
	var entries broker.AuditPage
	page.json(t, &entries)
	found := 0
	for _, e := range entries.Items {
		if slices.Contains(ids, e.ID) {
			t.Errorf("a forged login in the cell's log: %+v", e)
		}
		if slices.Contains(ghosts, e.ID) {
			found++
			if e.Sub != "ghost-person" || e.Actor != "" || e.Livc != w.model.Livc || strings.Contains(e.Reason, "ghost") {
				t.Errorf("unknown actor's entry %+v", e)
			}
		}
	}
	if found != len(ghosts) {
		t.Fatalf("%d of %d logins of an unknown actor in the cell's log: %s", found, len(ghosts), page.Body)
	}

	al := w.get("dpo", "audit_review", "/v1/audit/alerts")
	var alerts broker.AlertsPage
	al.json(t, &alerts)
	for _, a := range alerts.Items {
		if a.Kind == broker.AlertAuthFailures && a.Sub == "ghost-person" && slices.Contains(ghosts, a.Entries[0]) {
			return
		}
	}
	t.Fatalf("no failed_logins alert for the unknown actor's logins: %s", al.Body)
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}
