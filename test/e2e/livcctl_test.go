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
	l := newCLILab(t)
	t.Run("lookup", l.lookup)
	t.Run("card --decrypt-with", l.sealedCard)
	t.Run("observe", func(t *testing.T) {
		obs := l.write("obs.json", []byte(`{"observed_at":"2026-11-21T10:00:00Z","fields":{"presence":"present"}}`))
		if id := strings.TrimSpace(l.as(t, "ocmw", "observe", "-q", l.ref, obs)); !strings.HasPrefix(id, "obs_") {
			t.Fatalf("observation id %q", id)
		}
	})
	t.Run("stats", func(t *testing.T) {
		if out := l.as(t, "burgemeester", "stats"); !json.Valid([]byte(out)) {
			t.Fatalf("stats: %s", out)
		}
		if out := l.as(t, "burgemeester", "stats", "-o", "table"); json.Valid([]byte(out)) || out == "" {
			t.Fatalf("stats as a table: %s", out)
		}
	})
	t.Run("audit alerts", func(t *testing.T) {
		var a struct{ Items []json.RawMessage }
		if out := l.as(t, "dpo", "audit", "alerts"); json.Unmarshal([]byte(out), &a) != nil {
			t.Fatalf("alerts: %s", out)
		}
	})
	t.Run("audit proof", l.proofs)
	t.Run("erase", func(t *testing.T) {
		if out := l.as(t, "preventie", "erase", l.ref); out != l.ref+" erased\n" {
			t.Fatalf("erase: %q", out)
		}
		code, _, errOut := livcctlExit(t, l.b.URL, l.token("pz"), "card", l.ref)
		if code != 1 || !strings.Contains(errOut, "404") {
			t.Fatalf("card after erasure: exit %d %s", code, errOut)
		}
	})
}

// cliLab is a broker whose cell gives pz an age recipient, with one signal
// of pz about a person.
type cliLab struct {
	t      *testing.T
	m      *cellModel
	iss    *issuerKey
	b      *brokerProc
	dir    string
	idFile string // pz's identity
	nn     string // the person's national number
	ref    string // and subject ref
	key    string // the checkpoint verifier key
}

func newCLILab(t *testing.T) *cliLab {
	l := &cliLab{t: t, m: loadModel(t), iss: newIssuer(t), dir: t.TempDir(), nn: validNN("850607", 21)}
	rs := startRedis(t)
	l.idFile = filepath.Join(l.dir, "pz.identity")
	recipient := strings.TrimSpace(livcctlRun(t, "", "", "keygen", "--write", l.idFile))
	l.b = startBroker(t, rs.Addr, l.iss, "--config", configWithRecipient(t, recipient))
	sig := strings.TrimSpace(l.as(t, "pz", "submit", "-q", l.write("signal.json", signalJSON(l.nn, "Zzcli", "SECRET-cli"))))
	l.ref = refOf(t, l.b.URL, l.token("preventie"), sig)
	var keys struct {
		CheckpointKey string `json:"checkpoint_key"`
	}
	must(t, json.Unmarshal([]byte(l.as(t, "pz", "keys", "--output", "json")), &keys))
	l.key = keys.CheckpointKey
	return l
}

func (l *cliLab) token(actor string) string { return l.iss.token(l.t, l.m.Livc, actor) }

// as runs livcctl as actor; it must exit 0.
func (l *cliLab) as(t *testing.T, actor string, args ...string) string {
	t.Helper()
	return livcctlRun(t, l.b.URL, l.token(actor), args...)
}

// write writes a file of the lab's and returns its path.
func (l *cliLab) write(name string, body []byte) string {
	p := filepath.Join(l.dir, name)
	must(l.t, os.WriteFile(p, body, 0o600))
	return p
}

// lookup: a known person is a hit with its ref, another a no-hit.
func (l *cliLab) lookup(t *testing.T) {
	var hit, miss struct {
		SubjectRef string `json:"subject_ref"`
		Known      bool   `json:"known"`
	}
	must(t, json.Unmarshal([]byte(l.as(t, "pz", "lookup", l.write("who.json", fmt.Appendf(nil, `{"national_number":%q}`, l.nn)))), &hit))
	must(t, json.Unmarshal([]byte(l.as(t, "pz", "lookup", l.write("nobody.json", fmt.Appendf(nil, `{"subject":{"national_number":%q}}`, validNN("700101", 33))))), &miss))
	if !hit.Known || hit.SubjectRef != l.ref || miss.Known || miss.SubjectRef == l.ref {
		t.Fatalf("hit %+v, miss %+v, ref %s", hit, miss, l.ref)
	}
}

// sealedCard: the card asked sealed opens with pz's identity only; an
// actor without a recipient is refused (406).
func (l *cliLab) sealedCard(t *testing.T) {
	out := l.as(t, "pz", "card", l.ref, "--decrypt-with", l.idFile)
	if !strings.Contains(out, "SECRET-cli") || !strings.Contains(out, l.ref) {
		t.Fatalf("decrypted card: %s", out)
	}
	other := filepath.Join(l.dir, "other.identity")
	livcctlRun(t, "", "", "keygen", "--write", other)
	code, _, errOut := livcctlExit(t, l.b.URL, l.token("pz"), "card", l.ref, "--decrypt-with", other)
	if code != 1 || !strings.Contains(errOut, "does not open") {
		t.Fatalf("another identity: exit %d %s", code, errOut)
	}
	code, _, errOut = livcctlExit(t, l.b.URL, l.token("ocmw"), "card", l.ref, "--decrypt-with", l.idFile)
	if code != 1 || !strings.Contains(errOut, "406") {
		t.Fatalf("an actor without recipients: exit %d %s", code, errOut)
	}
}

// proofs: the inclusion proof of a quoted audit id and the consistency
// proof from a saved checkpoint both check.
func (l *cliLab) proofs(t *testing.T) {
	saved := filepath.Join(l.dir, "checkpoint.txt")
	l.as(t, "dpo", "audit", "checkpoint", "--write", saved)
	r := do(t, "GET", l.b.URL+"/v1/subjects/"+l.ref+"/card", nil, "Authorization", "Bearer "+l.token("vsse"), "LIVC-Purpose", "case_conference")
	var inc, cons struct {
		Verified bool  `json:"verified"`
		Index    int64 `json:"index"`
		From     int64 `json:"from"`
		Size     int64 `json:"size"`
	}
	must(t, json.Unmarshal([]byte(l.as(t, "dpo", "audit", "proof", "--id", r.Header.Get("X-Audit-Id"), "--key", l.key)), &inc))
	must(t, json.Unmarshal([]byte(l.as(t, "dpo", "audit", "proof", "--checkpoint", saved, "--key", l.key)), &cons))
	if !inc.Verified || inc.Index >= inc.Size || !cons.Verified || cons.From >= cons.Size {
		t.Fatalf("inclusion %+v, consistency %+v", inc, cons)
	}
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
