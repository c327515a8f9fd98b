package e2e

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// productionBlocks returns the sh blocks of the README's "Running it for
// real" section.
func productionBlocks(t *testing.T) []string {
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	_, section, ok := strings.Cut(string(readme), "## Running it for real")
	if !ok {
		t.Fatal("README.md has no Running it for real section")
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
		t.Fatalf("only %d sh blocks in the production section", len(blocks))
	}
	return blocks
}

// productionDir is the working directory the production section runs in:
// bin, examples and deploy of the repository; the example cell as cell.yaml;
// a certificate of a CA of the test for 127.0.0.1 (tls.crt, tls.key, ca.pem);
// the JWKS of the test's identity provider and two of its tokens.
func productionDir(t *testing.T) string {
	work := t.TempDir()
	repo, err := filepath.Abs("../..")
	must(t, err)
	must(t, os.Symlink(binDir, filepath.Join(work, "bin")))
	for _, dir := range []string{"examples", "deploy"} {
		must(t, os.Symlink(filepath.Join(repo, dir), filepath.Join(work, dir)))
	}
	cfg, err := os.ReadFile(examplePath)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(work, "cell.yaml"), cfg, 0o644))
	ca := newTestCA(t)
	cert, key := ca.issue(t, "tls", "livc-broker", x509.ExtKeyUsageServerAuth)
	for src, dst := range map[string]string{ca.File: "ca.pem", cert: "tls.crt", key: "tls.key"} {
		raw, err := os.ReadFile(src)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(work, dst), raw, 0o600))
	}
	iss := newIssuer(t)
	jwks, err := os.ReadFile(iss.jwksPath)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(work, "jwks.json"), jwks, 0o644))
	model := loadModel(t)
	for _, actor := range []string{"ocmw", "preventie"} {
		tok := iss.token(t, model.Livc, actor, func(b *jwt.Builder) { b.Issuer("https://idp.example") })
		must(t, os.WriteFile(filepath.Join(work, actor+".jwt"), []byte(tok), 0o600))
	}
	return work
}

// TestProductionREADME runs the README's production section as written:
// Redis with the documented ACL user and durability, keys init, check,
// serve over HTTPS with production keys and a JWKS, and a signal submitted
// and its card read. Only the ports change; the certificate, the JWKS and
// the tokens are the test's (the section says where they come from). The
// broker logs no [INSECURE] warning.
func TestProductionREADME(t *testing.T) {
	work := productionDir(t)
	t.Cleanup(func() { stopPidFile(filepath.Join(work, "redis.pid")) })

	script := "set -euo pipefail\n" + strings.Join(productionBlocks(t), "\n")
	redisPort, httpsPort := strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
	script = strings.NewReplacer("127.0.0.1:6380", "127.0.0.1:"+redisPort, "--port 6380", "--port "+redisPort,
		"127.0.0.1:8443", "127.0.0.1:"+httpsPort).Replace(script)
	// The broker the section leaves running in the background is stopped by
	// the test: its process id is kept.
	script = strings.Replace(script, ">broker.log 2>&1 &\n", ">broker.log 2>&1 &\necho $! >broker.pid\n", 1)
	t.Cleanup(func() { stopPidFile(filepath.Join(work, "broker.pid")) })
	sh := exec.Command("bash", "-c", script)
	sh.Dir = work
	sh.Env = append(os.Environ(), "LIVC_REDIS_URL=", "LIVC_KEYS=", "LIVC_CONFIG=")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = sh.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		sh.Process.Kill()
		<-done
		err = fmt.Errorf("still running after 60s")
	}
	logs, _ := os.ReadFile(filepath.Join(work, "broker.log"))
	if err != nil {
		t.Fatalf("the production section fails: %v\n%s\nbroker log:\n%s", err, out, logs)
	}
	text := string(out)
	for _, want := range []string{`"signal_text"`, "leaving for abroad"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section's output lacks %s:\n%s", want, text)
		}
	}
	if keys, _ := os.ReadDir(filepath.Join(work, "keys")); len(keys) == 0 {
		t.Error("keys init made no key files")
	}
	if strings.Contains(string(logs), "[INSECURE]") {
		t.Errorf("the production broker warns [INSECURE]:\n%s", logs)
	}
	if !strings.Contains(string(logs), `"url":"https://`) {
		t.Errorf("the broker does not serve HTTPS:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(work, "appendonlydir")); err != nil {
		t.Errorf("Redis keeps no append-only file: %v", err)
	}
}

// stopPidFile stops the process whose id a pid file holds, if any.
func stopPidFile(path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}
