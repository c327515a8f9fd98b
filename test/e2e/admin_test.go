package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestMetricsListener checks that /metrics, which counts erasures and
// refusals, is not on the API's listener unless the operator asks for it
// (--admin-listen main), and is on the admin listener.
func TestMetricsListener(t *testing.T) {
	iss := newIssuer(t)
	rs := startRedis(t)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return resp.StatusCode, string(b)
	}
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	t.Run("not on the main listener", func(t *testing.T) {
		if st, body := get(b.URL + "/metrics"); st != 404 || strings.Contains(body, "livc_") {
			t.Fatalf("main listener: %d %.80s", st, body)
		}
	})
	t.Run("on the admin listener", func(t *testing.T) {
		if st, body := get(b.Admin + "/metrics"); st != 200 || !strings.Contains(body, "livc_policy_revision_info") {
			t.Fatalf("admin listener: %d %.80s", st, body)
		}
	})
	t.Run("on the main listener when asked, with a warning", func(t *testing.T) {
		m := startBroker(t, rs.Addr, iss, "--config", examplePath, "--admin-listen", "main")
		if st, body := get(m.URL + "/metrics"); st != 200 || !strings.Contains(body, "livc_policy_revision_info") {
			t.Fatalf("main listener with --admin-listen main: %d %.80s", st, body)
		}
		if !strings.Contains(m.logs.String(), "[INSECURE] --admin-listen main") {
			t.Error("no warning for metrics on the main listener")
		}
	})
}

// TestMalformedCursor checks that a cursor no list ever gave is refused as
// invalid input naming cursor (422), audited as a deny, on every list that
// takes one; it was a 503 "audit log unavailable" on GET /v1/audit (after
// an allow entry) and a 400 on the report.
func TestMalformedCursor(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	dpo := "Bearer " + iss.token(t, m.Livc, "dpo")
	ref := "s_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, tc := range []struct {
		name, actor, purpose, path string
	}{
		{"audit list", "dpo", "audit_review", "/v1/audit?cursor="},
		{"audit list, newest first", "dpo", "audit_review", "/v1/audit?order=desc&cursor="},
		{"audit report", "dpo", "audit_review", "/v1/audit/report?subject_ref=" + ref + "&cursor="},
		{"dossiers", "pz", "case_conference", "/v1/cases?cursor="},
	} {
		for _, cursor := range []string{"x", "a1.!!", "a1.MS0yLTM", "99999999999999999999"} {
			t.Run(tc.name+" "+cursor, func(t *testing.T) {
				r := do(t, "GET", b.URL+tc.path+url.QueryEscape(cursor), nil,
					"Authorization", "Bearer "+iss.token(t, m.Livc, tc.actor), "LIVC-Purpose", tc.purpose)
				var p struct{ Field string }
				r.json(t, &p)
				if r.Status != 422 || p.Field != "cursor" {
					t.Fatalf("%d %s, want 422 naming cursor", r.Status, r.Body)
				}
				id := r.Header.Get("X-Audit-Id")
				q := do(t, "GET", b.URL+"/v1/audit?order=desc&limit=20", nil, "Authorization", dpo, "LIVC-Purpose", "audit_review")
				var page struct{ Items []auditEntry }
				q.json(t, &page)
				for _, e := range page.Items {
					if e.ID == id {
						if e.Decision != "deny" {
							t.Fatalf("the refusal is audited as %q", e.Decision)
						}
						return
					}
				}
				t.Fatalf("the refusal %q is not in the log", id)
			})
		}
	}
}

// TestMalformedQueryJudgedLast holds a malformed query to the order of
// judgment: a requester who may not use the route is refused for that (403)
// whatever its query, so that a query's check never answers before the
// purpose and the decision have been judged.
func TestMalformedQueryJudgedLast(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	for _, tc := range []struct {
		name, actor, purpose, path string
		want                       int
	}{
		{"audit list by the police", "pz", "audit_review", "/v1/audit?cursor=x", 403},
		{"audit list, a bad limit, by the police", "pz", "audit_review", "/v1/audit?limit=-1", 403},
		{"alerts by the police", "pz", "audit_review", "/v1/audit/alerts?from=yesterday", 403},
		{"dossiers, a bad limit, off the tactical table", "clb", "prioritisation", "/v1/cases?limit=0", 403},
		{"intake by the police", "pz", "case_conference", "/v1/signals?limit=0", 403},
		{"audit list by the privacy officer", "dpo", "audit_review", "/v1/audit?limit=-1", 422},
		{"dossiers, a bad limit, by the tactical table", "parket", "prioritisation", "/v1/cases?limit=0", 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "GET", b.URL+tc.path, nil,
				"Authorization", "Bearer "+iss.token(t, m.Livc, tc.actor), "LIVC-Purpose", tc.purpose)
			if r.Status != tc.want {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.want)
			}
			if r.Header.Get("X-Audit-Id") == "" {
				t.Fatal("the refusal is not audited")
			}
		})
	}
}
