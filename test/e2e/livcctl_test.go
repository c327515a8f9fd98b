package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLivcctlCommands runs the real livcctl against the real broker, Redis
// and age for the commands of the endpoints it did not have: lookup (an
// identity encrypted here), card --decrypt-with (the answer sealed to the
// actor's recipient, opened here), observe, stats, audit alerts, audit
// proof (inclusion of a quoted X-Audit-Id, consistency with a saved
// checkpoint, both checked here), the table output, and erase.
func TestLivcctlCommands(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	dir := t.TempDir()
	idFile := filepath.Join(dir, "pz.identity")
	recipient := strings.TrimSpace(livcctlRun(t, "", "", "keygen", "--write", idFile))
	b := startBroker(t, rs.Addr, iss, "--config", configWithRecipient(t, recipient))
	as := func(actor string, args ...string) string {
		t.Helper()
		return livcctlRun(t, b.URL, iss.token(t, m.Livc, actor), args...)
	}
	write := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, body, 0o600))
		return p
	}
	nn := validNN("850607", 21)
	sig := strings.TrimSpace(as("pz", "submit", "-q", write("signal.json", signalJSON(nn, "Zzcli", "SECRET-cli"))))
	ref := refOf(t, b.URL, iss.token(t, m.Livc, "preventie"), sig)
	var key struct {
		CheckpointKey string `json:"checkpoint_key"`
	}
	must(t, json.Unmarshal([]byte(as("pz", "keys", "--output", "json")), &key))

	t.Run("lookup", func(t *testing.T) {
		var hit, miss struct {
			SubjectRef string `json:"subject_ref"`
			Known      bool   `json:"known"`
		}
		must(t, json.Unmarshal([]byte(as("pz", "lookup", write("who.json", fmt.Appendf(nil, `{"national_number":%q}`, nn)))), &hit))
		must(t, json.Unmarshal([]byte(as("pz", "lookup", write("nobody.json", fmt.Appendf(nil, `{"subject":{"national_number":%q}}`, validNN("700101", 33))))), &miss))
		if !hit.Known || hit.SubjectRef != ref || miss.Known || miss.SubjectRef == ref {
			t.Fatalf("hit %+v, miss %+v, ref %s", hit, miss, ref)
		}
	})
	t.Run("card --decrypt-with", func(t *testing.T) {
		out := as("pz", "card", ref, "--decrypt-with", idFile)
		if !strings.Contains(out, "SECRET-cli") || !strings.Contains(out, ref) {
			t.Fatalf("decrypted card: %s", out)
		}
		other := filepath.Join(dir, "other.identity")
		livcctlRun(t, "", "", "keygen", "--write", other)
		code, _, errOut := livcctlExit(t, b.URL, iss.token(t, m.Livc, "pz"), "card", ref, "--decrypt-with", other)
		if code != 1 || !strings.Contains(errOut, "does not open") {
			t.Fatalf("another identity: exit %d %s", code, errOut)
		}
		code, _, errOut = livcctlExit(t, b.URL, iss.token(t, m.Livc, "ocmw"), "card", ref, "--decrypt-with", idFile)
		if code != 1 || !strings.Contains(errOut, "406") {
			t.Fatalf("an actor without recipients: exit %d %s", code, errOut)
		}
	})
	t.Run("observe", func(t *testing.T) {
		obs := write("obs.json", []byte(`{"observed_at":"2026-11-21T10:00:00Z","fields":{"presence":"present"}}`))
		if id := strings.TrimSpace(as("ocmw", "observe", "-q", ref, obs)); !strings.HasPrefix(id, "obs_") {
			t.Fatalf("observation id %q", id)
		}
	})
	t.Run("stats", func(t *testing.T) {
		if out := as("burgemeester", "stats"); !json.Valid([]byte(out)) {
			t.Fatalf("stats: %s", out)
		}
		if out := as("burgemeester", "stats", "-o", "table"); json.Valid([]byte(out)) || out == "" {
			t.Fatalf("stats as a table: %s", out)
		}
	})
	t.Run("audit alerts", func(t *testing.T) {
		var a struct{ Items []json.RawMessage }
		if out := as("dpo", "audit", "alerts"); json.Unmarshal([]byte(out), &a) != nil {
			t.Fatalf("alerts: %s", out)
		}
	})
	t.Run("audit proof", func(t *testing.T) {
		saved := filepath.Join(dir, "checkpoint.txt")
		as("dpo", "audit", "checkpoint", "--write", saved)
		r := do(t, "GET", b.URL+"/v1/subjects/"+ref+"/card", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "vsse"), "LIVC-Purpose", "case_conference")
		id := r.Header.Get("X-Audit-Id")
		var inc, cons struct {
			Verified bool  `json:"verified"`
			Index    int64 `json:"index"`
			From     int64 `json:"from"`
			Size     int64 `json:"size"`
		}
		must(t, json.Unmarshal([]byte(as("dpo", "audit", "proof", "--id", id, "--key", key.CheckpointKey)), &inc))
		must(t, json.Unmarshal([]byte(as("dpo", "audit", "proof", "--checkpoint", saved, "--key", key.CheckpointKey)), &cons))
		if !inc.Verified || inc.Index >= inc.Size || !cons.Verified || cons.From >= cons.Size {
			t.Fatalf("inclusion %+v, consistency %+v", inc, cons)
		}
	})
	t.Run("erase", func(t *testing.T) {
		if out := as("preventie", "erase", ref); out != ref+" erased\n" {
			t.Fatalf("erase: %q", out)
		}
		code, _, errOut := livcctlExit(t, b.URL, iss.token(t, m.Livc, "pz"), "card", ref)
		if code != 1 || !strings.Contains(errOut, "404") {
			t.Fatalf("card after erasure: exit %d %s", code, errOut)
		}
	})
}

// livcctlExit runs the real livcctl with the broker's URL and a token
// (none when empty) and returns its exit status and output.
func livcctlExit(t testing.TB, url, token string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "livcctl"), args...)
	cmd.Env = append(os.Environ(), "LIVC_BROKER="+url, "LIVC_TOKEN="+token)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	must(t, err)
	return 0, out.String(), errb.String()
}

// livcctlRun is livcctlExit that fails the test unless livcctl exits 0.
func livcctlRun(t testing.TB, url, token string, args ...string) string {
	t.Helper()
	code, out, errOut := livcctlExit(t, url, token, args...)
	if code != 0 {
		t.Fatalf("livcctl %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}
