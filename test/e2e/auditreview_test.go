package e2e

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// auditFields are the only keys an audit entry may hold.
var auditFields = []string{"id", "time", "request_id", "livc", "actor", "sub", "action", "purpose",
	"subject_ref", "case_id", "record", "decision", "released", "withheld", "policy_revision", "reason", "unverified", "client", "index"}

// checkReview runs the privacy officer's review over the whole story: the
// log is minimal by construction, verifies, proves every X-Audit-Id the
// story was given, and answers the report and the alerts.
func (w *world) checkReview(t *testing.T) {
	var keys broker.PublicKeys
	do(t, "GET", w.broker.URL+"/v1/keys", nil).json(t, &keys)
	quoted := slices.Clone(w.audited)
	var all []broker.ExportedEntry
	var cp auditlog.Checkpoint
	for from := int64(0); ; {
		r := w.get("dpo", "audit_review", "/v1/audit/export?limit=1000&from="+strconv.FormatInt(from, 10))
		if r.Status != 200 {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		var x broker.Export
		r.json(t, &x)
		c, err := auditlog.Open([]byte(x.Checkpoint), keys.CheckpointKey, auditlog.Origin(w.model.Livc))
		must(t, err)
		cp = c
		for _, it := range x.Items {
			p, err := auditlog.DecodeProof(it.Proof)
			must(t, err)
			if err := tlog.CheckRecord(p, cp.Size, cp.Hash, it.Index, tlog.RecordHash(it.Entry)); err != nil {
				t.Fatalf("entry %d: %v", it.Index, err)
			}
		}
		all = append(all, x.Items...)
		if x.Next == 0 {
			break
		}
		from = x.Next
	}
	t.Run("entries hold no value, token or identity", func(t *testing.T) {
		secrets := append(secretsInTheClear(), "eyJ", "Bearer", "AGE-SECRET-KEY", "age-encryption.org")
		for _, it := range all {
			for _, s := range secrets {
				if strings.Contains(string(it.Entry), s) {
					t.Errorf("entry %d holds %q", it.Index, s)
				}
			}
			var m map[string]any
			must(t, json.Unmarshal(it.Entry, &m))
			for k := range m {
				if !slices.Contains(auditFields, k) {
					t.Errorf("entry %d has field %q", it.Index, k)
				}
			}
		}
		if len(all) < 20 {
			t.Fatalf("only %d entries exported", len(all))
		}
	})
	t.Run("every X-Audit-Id the story was given is in the proven log", func(t *testing.T) {
		ids := map[string]bool{}
		for _, it := range all {
			var e struct{ ID string }
			must(t, json.Unmarshal(it.Entry, &e))
			ids[e.ID] = true
		}
		for _, id := range quoted {
			if !ids[id] {
				t.Errorf("X-Audit-Id %s has no proven entry", id)
			}
		}
	})
	t.Run("verify", func(t *testing.T) {
		r := w.get("dpo", "audit_review", "/v1/audit/verify?since="+strconv.FormatInt(cp.Size, 10))
		var v broker.VerifyReport
		r.json(t, &v)
		if r.Status != 200 || !v.OK || v.Consistency == nil {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		newer, err := auditlog.Open([]byte(v.Consistency.Checkpoint), keys.CheckpointKey, "")
		must(t, err)
		p, err := auditlog.DecodeProof(v.Consistency.Proof)
		must(t, err)
		if pr := auditlog.CheckConsistency(cp, newer, p); pr != nil {
			t.Fatal(pr)
		}
	})
	t.Run("report of the person", func(t *testing.T) {
		r := w.get("dpo", "audit_review", "/v1/audit/report?subject_ref="+w.ref)
		var page broker.AuditPage
		r.json(t, &page)
		reads := 0
		for _, e := range page.Items {
			if e.SubjectRef != w.ref {
				t.Errorf("report holds an entry about %q", e.SubjectRef)
			}
			if e.Action == "card.read" && e.Decision == broker.DecisionAllow {
				reads++
				if e.Sub == "" || e.Actor == "" || e.Purpose == "" || e.PolicyRevision == "" {
					t.Errorf("an access without who, purpose or revision: %+v", e)
				}
			}
		}
		if r.Status != 200 || reads == 0 {
			t.Fatalf("report: %d, %d reads: %s", r.Status, reads, r.Body)
		}
		if r := w.get("pz", "audit_review", "/v1/audit/report?subject_ref="+w.ref); r.Status != 403 {
			t.Fatalf("police reads the report: %d", r.Status)
		}
	})
	t.Run("alerts", func(t *testing.T) {
		w.readOffRoster(t)
		r := w.get("dpo", "audit_review", "/v1/audit/alerts")
		var page broker.AlertsPage
		r.json(t, &page)
		if r.Status != 200 {
			t.Fatalf("alerts: %d %s", r.Status, r.Body)
		}
		kinds := map[string]int{}
		for _, a := range page.Items {
			kinds[a.Kind]++
			if len(a.Entries) == 0 {
				t.Errorf("alert without entries: %+v", a)
			}
		}
		// One read off the roster (readOffRoster); the story's other 404s
		// (no dossier open, or a purpose the roster does not scope) are not.
		if kinds[broker.AlertOutsideRoster] != 1 {
			t.Errorf("%d outside-roster alerts, want 1: %s", kinds[broker.AlertOutsideRoster], r.Body)
		}
	})
}

// readOffRoster makes the police read, under case_conference, the card of a
// person with an open dossier whose roster holds only the OCMW, which
// submitted the one signal: the police see the same 404 as for an unknown
// person, and the log records why.
func (w *world) readOffRoster(t *testing.T) {
	plain, _ := json.Marshal(map[string]any{"observed_at": "2026-11-21T10:00:00Z", "fields": map[string]any{"presence": "absent"},
		"subject": map[string]any{"family_name": "Offroster", "given_name": "Noa", "birth_date": "1991-02-03"}})
	r := w.send("POST", "ocmw", "signal", "/v1/signals", "application/age", seal(t, w.recip, plain))
	if r.Status != 201 {
		t.Fatalf("signal: %d %s", r.Status, r.Body)
	}
	sig := jsonField(t, r.Body, "id")
	ref := w.refOf(sig)
	body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": []string{sig}, "category": "radicalisation"})
	if r := w.send("POST", "preventie", "case_conference", "/v1/cases", "application/json", body); r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	unknown := w.get("pz", "case_conference", "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card")
	off := w.get("pz", "case_conference", "/v1/subjects/"+ref+"/card")
	if off.Status != 404 || unknown.Status != 404 || !jsonEqualBut(t, off.Body, unknown.Body, "request_id", "audit_id") {
		t.Fatalf("off the roster %d %s; unknown %d %s: want the same 404", off.Status, off.Body, unknown.Status, unknown.Body)
	}
}

// jsonEqualBut compares two JSON objects, leaving out the keys skip.
func jsonEqualBut(t *testing.T, a, b []byte, skip ...string) bool {
	var ma, mb map[string]any
	must(t, json.Unmarshal(a, &ma))
	must(t, json.Unmarshal(b, &mb))
	for _, k := range skip {
		delete(ma, k)
		delete(mb, k)
	}
	ja, _ := json.Marshal(ma)
	jb, _ := json.Marshal(mb)
	return string(ja) == string(jb)
}
