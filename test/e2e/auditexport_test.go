package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// The exported log: verified offline with only the key, exported in pinned
// pages, and the warning of a verification that trusts the broker's key.

// TestAuditVerifyExportOffline exports the whole log with the real livcctl,
// then verifies the file with only the verifier key and the saved
// checkpoint, no broker: intact, then with an entry edited.
func TestAuditVerifyExportOffline(t *testing.T) {
	l := newAuditLab(t)
	l.setup()
	l.checkpoint()
	out, err := l.livcctl("audit", "export")
	if err != nil {
		t.Fatalf("livcctl audit export: %v\n%s", err, out)
	}
	dir := t.TempDir()
	offline := func(lines []string) (string, error) {
		f := filepath.Join(dir, "log.jsonl")
		must(t, os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o600))
		cmd := exec.Command(filepath.Join(binDir, "livcctl"), "audit", "verify", "--no-progress", "--key", l.key, "--checkpoint", l.saved, "--log", f)
		cmd.Env = append(os.Environ(), "LIVC_BROKER=http://127.0.0.1:1", "LIVC_TOKEN=")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got, err := offline(lines); err != nil || !strings.Contains(got, `"ok":true`) || !strings.Contains(got, `"extends":21`) {
		t.Fatalf("offline verify of the intact export: %v\n%s", err, got)
	}
	edited := editEntry(lines[1+5])
	if edited == lines[1+5] {
		t.Fatalf("export line not as expected: %s", lines[1+5])
	}
	lines[1+5] = edited
	if got, err := offline(lines); err == nil || !strings.Contains(got, `"kind":"leaf_mismatch","index":5`) {
		t.Fatalf("offline verify of an edited export: %v\n%s", err, got)
	}
}

// TestAuditExportPinned exports the log in pages of 5 with the real livcctl
// while reads and fresh checkpoints go on: every page is proved in the tree
// of the first line's checkpoint, so the export verifies offline; a line
// added past that checkpoint (an edited entry with its leaf hash
// recomputed) is refused.
func TestAuditExportPinned(t *testing.T) {
	l := newAuditLab(t)
	l.setup()
	ctx := context.Background()
	before, err := l.rc.LLen(ctx, demoStream+":checkpoints").Result()
	must(t, err)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // meanwhile: the log grows and checkpoints are signed
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			l.read()
			l.checkpoint()
		}
	}()
	out, err := l.livcctl("audit", "export", "--page", "5")
	close(stop)
	<-done
	if err != nil {
		t.Fatalf("livcctl audit export: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var head struct{ Checkpoint string }
	must(t, json.Unmarshal([]byte(lines[0]), &head))
	size, err := tlogSize(head.Checkpoint)
	must(t, err)
	after, err := l.rc.LLen(ctx, demoStream+":checkpoints").Result()
	must(t, err)
	if after-before < 3 || int64(len(lines)-1) != size {
		t.Fatalf("export of %d entries under a checkpoint of %d, %d checkpoints signed meanwhile: not the case under test", len(lines)-1, size, after-before)
	}
	dir := t.TempDir()
	offline := func(lines []string) (string, error) {
		f := filepath.Join(dir, "log.jsonl")
		must(t, os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o600))
		cmd := exec.Command(filepath.Join(binDir, "livcctl"), "audit", "verify", "--no-progress", "--key", l.key, "--log", f)
		cmd.Env = append(os.Environ(), "LIVC_BROKER=http://127.0.0.1:1", "LIVC_TOKEN=")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for _, tc := range []struct {
		name  string
		lines func() []string
		want  string // in the verdict
	}{
		{"as exported", func() []string { return lines }, `"ok":true`},
		{"an edited tail past the checkpoint", func() []string {
			m := l.messages()[size] // logged after the export's checkpoint
			doc := editEntry(m.Values["entry"].(string))
			h := tlog.RecordHash([]byte(doc))
			extra, _ := json.Marshal(map[string]any{"index": size, "entry": json.RawMessage(doc), "leaf_hash": fmt.Sprintf("%x", h[:])})
			return append(append([]string(nil), lines...), string(extra))
		}, fmt.Sprintf(`"kind":"unproven","index":%d`, size)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := offline(tc.lines())
			if strings.Contains(tc.want, `"ok":true`) != (err == nil) || !strings.Contains(got, tc.want) {
				t.Fatalf("offline verify: %v\n%s", err, got)
			}
		})
	}
}

// tlogSize reads the size of a signed checkpoint without checking it.
func tlogSize(signed string) (int64, error) {
	lines := strings.SplitN(signed, "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("not a checkpoint: %q", signed)
	}
	var n int64
	_, err := fmt.Sscanf(lines[1], "%d", &n)
	return n, err
}

// TestAuditVerifyKeyWarning: verify --checkpoint without --key takes the key
// the broker publishes, and says loudly that the proof then trusts the
// broker; with --key it does not.
func TestAuditVerifyKeyWarning(t *testing.T) {
	l := newAuditLab(t)
	l.setup()
	for _, tc := range []struct {
		name string
		args []string
		warn bool
	}{
		{"without --key", nil, true},
		{"with --key", []string{"--key", l.key}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, "livcctl"), append([]string{"audit", "verify", "--no-progress", "--checkpoint", l.saved}, tc.args...)...)
			cmd.Env = append(os.Environ(), "LIVC_BROKER="+l.broker.URL, "LIVC_TOKEN="+l.iss.token(t, "zonnedaal", "dpo"), "LIVC_CHECKPOINT_KEY=")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil || !strings.Contains(out.String(), `"ok":true`) {
				t.Fatalf("verify: %v\n%s%s", err, out.String(), errb.String())
			}
			if got := strings.Contains(errb.String(), "WARNING") && strings.Contains(errb.String(), "trusts the broker"); got != tc.warn {
				t.Fatalf("warning %v, want %v: %s", got, tc.warn, errb.String())
			}
		})
	}
}
