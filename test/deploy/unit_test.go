package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "../../deploy/livc-broker.service"

// verifyUnit runs systemd-analyze verify on unit, installed in a root of its
// own beside the programs it runs (stand-ins: verify checks that they are
// executable), and returns its output and whether it passed.
func verifyUnit(t *testing.T, unit []byte) (string, bool) {
	t.Helper()
	root := t.TempDir()
	for _, p := range []string{"etc/systemd/system", "usr/local/bin", "bin"} {
		must(t, os.MkdirAll(filepath.Join(root, p), 0o755))
	}
	for _, p := range []string{"usr/local/bin/livc-broker", "bin/kill"} {
		must(t, os.WriteFile(filepath.Join(root, p), []byte("#!/bin/sh\n"), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(root, "etc/systemd/system/livc-broker.service"), unit, 0o644))
	// --recursive-errors=no: the root has no sysinit.target; the unit itself is judged.
	out, err := exec.Command("systemd-analyze", "verify", "--recursive-errors=no", "--man=no", "--root="+root,
		"/etc/systemd/system/livc-broker.service").CombinedOutput()
	return string(out), err == nil
}

// TestSystemdUnit: deploy/livc-broker.service passes systemd-analyze verify
// with nothing to say (a misspelt key fails it: the control case), holds the
// sandboxing the deployment promises, and systemd-analyze security rates
// its exposure at most 2.0 ("OK").
func TestSystemdUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze checks the unit (Debian: systemd):", err)
	}
	unit, err := os.ReadFile(unitPath)
	must(t, err)
	if out, ok := verifyUnit(t, unit); !ok || strings.TrimSpace(out) != "" {
		t.Fatalf("systemd-analyze verify: passed %v\n%s", ok, out)
	}
	broken := strings.Replace(string(unit), "\nProtectSystem=strict", "\nProtectSytem=strict", 1)
	if out, ok := verifyUnit(t, []byte(broken)); ok || !strings.Contains(out, "ProtectSytem") {
		t.Fatalf("a misspelt key passes verify: %v %s", ok, out)
	}

	for _, want := range []string{
		"ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter=@system-service", "ReadWritePaths=/var/lib/livc-broker/keys",
		"User=livc-broker", "EnvironmentFile=/etc/livc/broker.env", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).Match(unit) {
			t.Errorf("the unit lacks %s", want)
		}
	}

	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc/systemd/system"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc/systemd/system/livc-broker.service"), unit, 0o644))
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--root="+root, "livc-broker.service").CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for livc-broker\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Fatalf("exposure level %.1f, want at most 2.0:\n%s", level, out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}
