package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cellWithPolicies writes the example configuration with a policies
// directory holding files, and returns the configuration's path and the
// directory.
func cellWithPolicies(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	must(t, os.Mkdir(pol, 0o755))
	for name, src := range files {
		must(t, os.WriteFile(filepath.Join(pol, name), []byte(src), 0o644))
	}
	conf, err := os.ReadFile(examplePath)
	must(t, err)
	conf = []byte(strings.Replace(string(conf), "\nactors:", "\npolicies: "+pol+"\n\nactors:", 1))
	path := filepath.Join(dir, "cell.yaml")
	must(t, os.WriteFile(path, conf, 0o644))
	return path, pol
}

// A cell rule that errors at evaluation under purpose policy (to_number of a
// word, with strict built-in errors), and one that takes far longer than the
// decision timeout under purpose prioritisation.
const faultyRules = `package livc.cells.zonnedaal

withhold contains "police" if {
	input.purpose == "policy"
	to_number("not a number") > 0
}

withhold contains "police" if {
	input.purpose == "prioritisation"
	count([x | some x in numbers.range(1, 50000000)]) > 0
}
`

// TestPolicyFaults checks end to end that a policy which errors or times
// out denies (503, audited as an error, nothing released), that a reload
// with a broken policy keeps the previous one and says so in the log, in
// metrics and in the audit log, and that a good reload takes effect.
func TestPolicyFaults(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	conf, pol := cellWithPolicies(t, map[string]string{"faulty.rego": faultyRules})
	b := startBroker(t, rs.Addr, iss, "--config", conf)
	card := b.URL + "/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card"
	dpo := "Bearer " + iss.token(t, m.Livc, "dpo")
	audit := func(q string) []map[string]any {
		r := do(t, "GET", b.URL+"/v1/audit?"+q, nil, "Authorization", dpo, "LIVC-Purpose", "audit_review")
		var page struct{ Items []map[string]any }
		r.json(t, &page)
		return page.Items
	}

	for _, c := range []struct{ name, actor, purpose string }{
		{"a rule that errors denies", "burgemeester", "policy"},
		{"a rule that times out denies", "pz", "prioritisation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			r := do(t, "GET", card, nil, "Authorization", "Bearer "+iss.token(t, m.Livc, c.actor), "LIVC-Purpose", c.purpose)
			if r.Status != 503 || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("the decision took %v", time.Since(start))
			}
			id := r.Header.Get("X-Audit-Id")
			found := false
			for _, e := range audit("action=card.read&decision=error") {
				found = found || e["id"] == id
			}
			if !found {
				t.Fatalf("the failed decision %s is not audited as an error", id)
			}
		})
	}
	// revision is the policy revision in force: the newest audit.read entry
	// is this read's own, decided under it.
	revision := func() string {
		items := audit("action=audit.read&order=desc&limit=1")
		if len(items) == 0 {
			t.Fatal("no audit.read entry")
		}
		return fmt.Sprint(items[0]["policy_revision"])
	}
	metric := func(name string) string {
		r := do(t, "GET", b.Admin+"/metrics", nil)
		if r.Status != 200 {
			t.Fatalf("/metrics: %d", r.Status)
		}
		mm := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(r.Body)
		if mm == nil {
			t.Fatalf("no %s in /metrics", name)
		}
		return string(mm[1])
	}
	hup := func() {
		must(t, b.cmd.Process.Signal(syscall.SIGHUP))
	}
	waitFor := func(what string, ok func() bool) {
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s\n%s", what, b.logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	reloads := func(decision string) int {
		return len(audit("action=policy.reload&decision=" + url.QueryEscape(decision)))
	}

	before := revision()
	t.Run("a broken policy is not loaded, and that is said", func(t *testing.T) {
		must(t, os.WriteFile(filepath.Join(pol, "broken.rego"), []byte("package livc.cells.zonnedaal\n\nwithhold contains if {\n"), 0o644))
		hup()
		waitFor("a failed reload in metrics", func() bool { return metric(`livc_policy_reloads_total{result="failure"}`) == "1" })
		if metric("livc_policy_last_reload_success") != "0" {
			t.Error("livc_policy_last_reload_success is not 0 after a failed reload")
		}
		if !strings.Contains(b.logs.String(), "policy reload failed; the previous policy stays in force") {
			t.Error("the failed reload is not in the log")
		}
		if n := reloads("error"); n != 1 {
			t.Fatalf("%d policy.reload error entries in the audit log, want 1", n)
		}
		if after := revision(); after != before {
			t.Fatalf("revision changed from %s to %s although the reload failed", before, after)
		}
	})
	t.Run("a good policy is loaded", func(t *testing.T) {
		must(t, os.Remove(filepath.Join(pol, "broken.rego")))
		must(t, os.WriteFile(filepath.Join(pol, "faulty.rego"), []byte("package livc.cells.zonnedaal\n\nwithhold contains \"care\" if input.purpose == \"policy\"\n"), 0o644))
		hup()
		waitFor("a successful reload in metrics", func() bool { return metric(`livc_policy_reloads_total{result="success"}`) == "1" })
		if metric("livc_policy_last_reload_success") != "1" {
			t.Error("livc_policy_last_reload_success is not 1 after a good reload")
		}
		if n := reloads("allow"); n != 1 {
			t.Fatalf("%d policy.reload allow entries, want 1", n)
		}
		if after := revision(); after == before {
			t.Fatal("the revision did not change after a good reload")
		}
		// The erroring rule is gone: the same request now gets an answer, the
		// 403 of a card read under policy (aggregates only).
		r := do(t, "GET", card, nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "burgemeester"), "LIVC-Purpose", "policy")
		if r.Status != 403 {
			t.Fatalf("after the reload: %d %s", r.Status, r.Body)
		}
	})
	t.Run("metrics count requests, decisions and audit appends", func(t *testing.T) {
		for _, name := range []string{
			`livc_http_requests_total{method="GET",route="/v1/subjects/:ref/card",status="503"}`,
			`livc_policy_decisions_total{action="card.read",result="error"}`,
			`livc_audit_appends_total{result="ok"}`,
			`livc_audit_appends_total{result="failure"}`,
		} {
			metric(name)
		}
		if metric(`livc_http_requests_total{method="GET",route="/v1/subjects/:ref/card",status="503"}`) != "2" {
			t.Error("the two failed decisions are not counted as 503s")
		}
	})
}
