package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRefusesBadConfiguration starts the real binary on broken cells: it must
// refuse to start, naming the file and the line.
func TestRefusesBadConfiguration(t *testing.T) {
	cases := []struct {
		file, line, says string
	}{
		{"ghost-actor.yaml", ":44:", `"ghost"`},
		{"unknown-class.yaml", ":85:", `"astrology"`},
		{"unknown-type.yaml", ":87:", `"journalist"`},
		{"unknown-table.yaml", ":50:", `"backroom"`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", c.file)
			out := refusesToStart(t, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			if !strings.Contains(out, c.file+c.line) || !strings.Contains(out, c.says) {
				t.Fatalf("the refusal does not name %s%s and %s:\n%s", c.file, c.line, c.says, out)
			}
		})
	}
}

// refusesToStart runs the real binary with args, which must exit non-zero
// within 20 s, and returns what it printed.
func refusesToStart(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the broker started:\n%s", out)
	}
	if err == nil {
		t.Fatalf("exit 0:\n%s", out)
	}
	return string(out)
}

// TestRefusesKeyFileMode: a broker whose key directory holds a key file
// readable by group or others (mode 0644) refuses to start, naming the file
// and saying how to fix it; with the mode put back it starts.
func TestRefusesKeyFileMode(t *testing.T) {
	iss := newIssuer(t)
	rs := startRedis(t)
	data := t.TempDir()
	args := []string{"--config", examplePath, "--data", data}
	startBroker(t, rs.Addr, iss, args...).stop(t) // creates the keys, epoch.key included
	keyDir := filepath.Join(data, "keys")
	for _, name := range []string{"age-x25519.key", "age-pq.key", "pseudonym.key", "kek.key", "checkpoint.key", "epoch.key"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(keyDir, name)
			must(t, os.Chmod(path, 0o644))
			defer func() { must(t, os.Chmod(path, 0o600)) }()
			out := refusesToStart(t, "serve", "--listen", "127.0.0.1:0",
				"--redis-url", "redis://"+rs.Addr+"/0", "--jwks", iss.jwksPath, "--issuer", issuer, "--audience", audience,
				"--config", examplePath, "--data", data)
			if !strings.Contains(out, name) || !strings.Contains(out, "accessible by group or others (mode 0644)") || !strings.Contains(out, "chmod 600") {
				t.Fatalf("the refusal does not name %s, its mode and the fix:\n%s", name, out)
			}
		})
	}
	t.Run("modes put back: it starts", func(t *testing.T) {
		startBroker(t, rs.Addr, iss, args...).stop(t)
	})
}
