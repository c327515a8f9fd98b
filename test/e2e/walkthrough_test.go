package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// walkthroughBlocks returns the sh blocks of the README's walkthrough.
func walkthroughBlocks(t *testing.T) []string {
	return readmeBlocks(t, "## Walkthrough", "the walkthrough")
}

// readmeBlocks returns the sh blocks of the README's section under heading
// (up to the next "## "), at least five of them: the tests run them as
// written.
func readmeBlocks(t *testing.T, heading, name string) []string {
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	_, section, ok := strings.Cut(string(readme), heading)
	if !ok {
		t.Fatalf("README.md has no %s section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for {
		_, rest, ok := strings.Cut(section, "```sh\n")
		if !ok {
			break
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks = append(blocks, block)
		section = after
	}
	if len(blocks) < 5 {
		t.Fatalf("only %d sh blocks in %s", len(blocks), name)
	}
	return blocks
}

// TestWalkthrough runs the README's walkthrough, as written, against the
// broker started the way `make run` starts it: the embedded demo cell, the
// embedded store and dev tokens.
func TestWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's walkthrough:", err)
	}
	work := t.TempDir()
	repo, err := filepath.Abs("../..")
	must(t, err)
	must(t, os.Symlink(binDir, filepath.Join(work, "bin")))
	must(t, os.Symlink(filepath.Join(repo, "examples"), filepath.Join(work, "examples")))

	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), "serve", "--listen", addr, "--admin-listen", "off")
	cmd.Dir = work
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHealthy(t, "http://"+addr, &logs)
	for _, warn := range []string{"[INSECURE]", "NOTHING SURVIVES A RESTART"} {
		if !strings.Contains(logs.String(), warn) {
			t.Errorf("the dev broker does not warn %q", warn)
		}
	}

	script := "set -euo pipefail\n" + strings.Join(walkthroughBlocks(t), "\n")
	script = strings.ReplaceAll(script, "127.0.0.1:8080", addr)
	sh := exec.Command("bash", "-c", script)
	sh.Dir = work
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough fails: %v\n%s\nbroker log:\n%s", err, out, logs.String())
	}
	text := string(out)
	for _, want := range []string{`"in_dossier"`, `"police_record"`, `"signal_text"`, `"withheld"`, `"card.read"`, `problem:not-found"`, `problem:forbidden"`, `"roster.change"`, `"by_state"`, `"status": "done"`, `"ok":true`, `"extends"`, "leaving for abroad"} {
		if !strings.Contains(text, want) {
			t.Errorf("walkthrough output lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "therapy") {
		t.Errorf("the police officer was shown the OCMW's health note:\n%s", text)
	}
}

func waitHealthy(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not start:\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}
