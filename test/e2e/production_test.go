package e2e

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/livc/livc-broker/test/oidcprovider"
)

// productionBlocks returns the sh blocks of the README's "Running it for
// real" section.
func productionBlocks(t *testing.T) []string {
	return readmeBlocks(t, "## Running it for real", "the production section")
}

// productionDir is the working directory the production section runs in:
// bin, examples and deploy of the repository; the example cell as cell.yaml;
// a certificate of a CA of the test for 127.0.0.1 (tls.crt, tls.key, ca.pem).
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
	return work
}

// productionPeople are the people who sign in, in the section's order.
var productionPeople = []string{"ocmw", "preventie"}

// productionIdP is the cell's OpenID provider the section names: a person
// of each of productionPeople, whose tokens carry the claims livc and actor
// for the audience livc-broker, and the client livcctl.
func productionIdP(t *testing.T) *oidcprovider.Provider {
	idp, err := oidcprovider.Start()
	must(t, err)
	t.Cleanup(func() { idp.Close() })
	livc := loadModel(t).Livc
	for _, actor := range productionPeople {
		idp.AddUser(oidcprovider.User{Login: actor, Subject: "idp-" + actor,
			Claims: map[string]any{"livc": livc, "actor": actor}})
	}
	idp.AddNativeClient(cliClient, []string{"livc-broker"}, time.Hour, "http://127.0.0.1/callback")
	return idp
}

// TestProductionREADME runs the README's production section as written:
// Redis with the documented ACL user and durability, keys init, check,
// serve over HTTPS with production keys and the cell's OpenID provider, two
// people signing in with livcctl login (the test is their browser at the
// provider), and a signal submitted and its card read with their saved
// tokens. Only the ports and the provider's URL change; the certificate and
// the provider are the test's. The broker logs no [INSECURE] warning.
func TestProductionREADME(t *testing.T) {
	work := productionDir(t)
	idp := productionIdP(t)
	t.Cleanup(func() { stopPidFile(filepath.Join(work, "redis.pid")) })

	script := "set -euo pipefail\n" + strings.Join(productionBlocks(t), "\n")
	redisPort, httpsPort := strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
	script = strings.NewReplacer("127.0.0.1:6380", "127.0.0.1:"+redisPort, "--port 6380", "--port "+redisPort,
		"127.0.0.1:8443", "127.0.0.1:"+httpsPort, "https://idp.example", idp.Issuer).Replace(script)
	// The broker the section leaves running in the background is stopped by
	// the test: its process id is kept.
	script = strings.Replace(script, ">broker.log 2>&1 &\n", ">broker.log 2>&1 &\necho $! >broker.pid\n", 1)
	t.Cleanup(func() { stopPidFile(filepath.Join(work, "broker.pid")) })
	text, err := runProduction(work, script, idp.Issuer)
	logs, _ := os.ReadFile(filepath.Join(work, "broker.log"))
	if err != nil {
		t.Fatalf("the production section fails: %v\n%s\nbroker log:\n%s", err, text, logs)
	}
	for _, want := range []string{`"signal_text"`, "leaving for abroad"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section's output lacks %s:\n%s", want, text)
		}
	}
	for _, actor := range productionPeople {
		if fi, err := os.Stat(tokenPath(filepath.Join(work, actor))); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s's saved token: %v %v", actor, fi, err)
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

// runProduction runs script with bash in work, for at most 60s, and
// returns its output (stdout and stderr). Each URL at issuer that the
// script prints is a livcctl login waiting for its browser: the test signs
// in there as the next of productionPeople, and fails the run (stopping the
// script at once) on a sign-in that fails, a sign-in too many or too few.
func runProduction(work, script, issuer string) (string, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer pr.Close()
	sh := exec.Command("bash", "-c", script)
	sh.Dir = work
	sh.Env = append(os.Environ(), "LIVC_REDIS_URL=", "LIVC_KEYS=", "LIVC_CONFIG=", "LIVC_TOKEN=", "LIVC_OIDC_ISSUER=")
	sh.Stdout, sh.Stderr = pw, pw
	// Its own process group, so that a stop reaches livcctl login too.
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = sh.Start()
	pw.Close()
	if err != nil {
		return "", err
	}
	stop := func() { syscall.Kill(-sh.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	browsed := make(chan error, 1)
	go func() { browsed <- productionBrowser(pr, &out, issuer, stop) }()
	done := make(chan error, 1)
	go func() { done <- sh.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		stop()
		<-done
		err = fmt.Errorf("still running after 60s")
	}
	if berr := <-browsed; berr != nil {
		err = berr
	}
	return out.String(), err
}

// productionBrowser copies the script's output from r to out until its
// end, signing in at each login URL at issuer as the next of
// productionPeople; on a failure it stops the script and says why.
func productionBrowser(r io.Reader, out *bytes.Buffer, issuer string, stop func()) error {
	var err error
	signedIn := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		u := loginURL(sc.Text(), issuer)
		if u == "" || err != nil {
			continue
		}
		if signedIn == len(productionPeople) {
			err = fmt.Errorf("a sign-in more than the %d people of the section", signedIn)
		} else if err = cliBrowserSignIn(u, productionPeople[signedIn]); err != nil {
			err = fmt.Errorf("%s's sign-in at the provider: %w", productionPeople[signedIn], err)
		}
		signedIn++
		if err != nil {
			stop()
		}
	}
	if err == nil && signedIn != len(productionPeople) {
		err = fmt.Errorf("%d sign-ins, want one for each of %v", signedIn, productionPeople)
	}
	return err
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
