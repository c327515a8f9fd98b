package e2e

import (
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
			cmd := exec.Command(filepath.Join(binDir, "livc-broker"), "serve",
				"--config", path, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the broker started on a broken configuration")
			}
			if err == nil {
				t.Fatalf("exit 0 on a broken configuration:\n%s", out)
			}
			if !strings.Contains(string(out), c.file+c.line) || !strings.Contains(string(out), c.says) {
				t.Fatalf("the refusal does not name %s%s and %s:\n%s", c.file, c.line, c.says, out)
			}
		})
	}
}
