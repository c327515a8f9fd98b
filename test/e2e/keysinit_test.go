package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/livc/livc-broker/keys"
)

// TestKeysInit: `livc-broker keys init --keys DIR` creates production keys
// in a missing directory, printing no key material; serve --keys DIR starts
// on them over real Redis and publishes their recipients; init refuses a
// non-empty directory and serve on an empty one says to run keys init.
func TestKeysInit(t *testing.T) {
	iss := newIssuer(t)
	rs := startRedis(t)
	dir := filepath.Join(t.TempDir(), "prod", "keys")

	out := runBroker(t, "keys", "init", "--keys", dir)
	for _, name := range []string{"age-x25519.key", "age-pq.key", "pseudonym.key", "kek.key", "checkpoint.key", "epoch.key"} {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("keys init did not write %s: %v\n%s", name, err, out)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, fi.Mode().Perm())
		}
		noKeyMaterial(t, out, path)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("key directory: %v, mode %v; want 0700", err, fi)
	}
	kr, err := keys.Load(dir)
	must(t, err)

	t.Run("serve starts on those keys", func(t *testing.T) {
		b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--keys", dir)
		if got := recipientsOf(t, b); !slices.Equal(got, kr.Recipients()) {
			t.Fatalf("the broker publishes %v, the keys init wrote are %v", got, kr.Recipients())
		}
		if r := do(t, "GET", b.URL+"/readyz", nil); r.Status != 200 {
			t.Fatalf("/readyz: %d %s", r.Status, r.Body)
		}
		if strings.Contains(b.logs.String(), "[INSECURE] no --keys given") {
			t.Fatal("the broker says it runs on development keys")
		}
		b.stop(t)
	})
	t.Run("refuses a non-empty directory", func(t *testing.T) {
		before := readDir(t, dir)
		cmd := exec.Command(filepath.Join(binDir, "livc-broker"), "keys", "init", "--keys", dir)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("keys init on a non-empty directory exited 0:\n%s", out)
		}
		if !strings.Contains(string(out), "is not empty") || !strings.Contains(string(out), dir) {
			t.Fatalf("the refusal does not say why:\n%s", out)
		}
		if after := readDir(t, dir); after != before {
			t.Fatal("keys init changed a non-empty key directory")
		}
	})
	t.Run("serve on an empty directory says to run keys init", func(t *testing.T) {
		empty := t.TempDir()
		out := refusesToStart(t, "serve", "--listen", "127.0.0.1:0", "--redis-url", "redis://"+rs.Addr+"/0",
			"--jwks", iss.jwksPath, "--issuer", issuer, "--audience", audience, "--config", examplePath, "--keys", empty)
		if !strings.Contains(out, "livc-broker keys init --keys "+empty) || strings.Contains(out, "missing key file") {
			t.Fatalf("serve on an empty key directory does not point at keys init:\n%s", out)
		}
	})
}

// noKeyMaterial fails the test if out holds any secret of the key file at
// path (every whitespace-separated word of its non-comment lines).
func noKeyMaterial(t *testing.T, out, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			if len(w) >= 16 && strings.Contains(out, w) {
				t.Fatalf("the output of keys init holds key material of %s", path)
			}
		}
	}
}

// readDir returns the names and contents of the files of dir, to compare.
func readDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var sb strings.Builder
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		sb.WriteString(e.Name() + "\n" + string(b) + "\n")
	}
	return sb.String()
}

// TestKeysRotateNeedsConfig: keys rotate, which audits into every cell,
// refuses to run without the cells' configuration (it used to audit into
// the embedded demo cell), touching neither Redis nor the keys; it takes
// --config or LIVC_CONFIG as serve does, and --demo for the demo cell.
func TestKeysRotateNeedsConfig(t *testing.T) {
	rs := startRedis(t)
	dir := filepath.Join(t.TempDir(), "keys")
	runBroker(t, "keys", "init", "--keys", dir)
	base := []string{"keys", "rotate", "--redis-url", "redis://" + rs.Addr + "/0", "--keys", dir}

	before := readDir(t, dir)
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), base...)
	cmd.Env = append(os.Environ(), "LIVC_CONFIG=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("keys rotate without --config exited 0:\n%s", out)
	}
	if !strings.Contains(string(out), "--config") || !strings.Contains(string(out), "--demo") {
		t.Fatalf("the refusal does not say what to give:\n%s", out)
	}
	if n := rs.client(t).DBSize(t.Context()).Val(); n != 0 {
		t.Fatalf("the refused rotation wrote %d keys to Redis", n)
	}
	if readDir(t, dir) != before {
		t.Fatal("the refused rotation changed the key directory")
	}

	t.Run("LIVC_CONFIG", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(binDir, "livc-broker"), base...)
		cmd.Env = append(os.Environ(), "LIVC_CONFIG="+examplePath)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "new KEK") {
			t.Fatalf("keys rotate with LIVC_CONFIG: %v\n%s", err, out)
		}
		if n := rs.client(t).XLen(t.Context(), "livc:{livc:"+loadModel(t).Livc+"}:audit").Val(); n == 0 {
			t.Fatal("the rotation is not audited into the configured cell")
		}
	})
	t.Run("--demo", func(t *testing.T) {
		// --identities=false: two rotations within one second would name
		// their retired identity files alike.
		if out := runBroker(t, append(base, "--demo", "--identities=false")...); !strings.Contains(out, "new KEK") {
			t.Fatalf("keys rotate --demo did not rotate:\n%s", out)
		}
	})
}
