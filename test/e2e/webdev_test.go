package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWebDevSignIn: the broker as `make run` starts it (embedded store,
// development keys, no flag but --data) serves the web application at /,
// whose development sign-in lists the demo cell's actors under the
// [INSECURE] banner and signs in as the one chosen.
func TestWebDevSignIn(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), "serve", "--data", t.TempDir(),
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--admin-listen", "off")
	cmd.Env = append(os.Environ(), "LIVC_OIDC_ISSUER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the broker did not start")
		}
	}
	br := newBrowser(t, base)
	if p := br.get("/"); p.Status != 200 || !strings.Contains(p.Body, `href="/auth/dev"`) || strings.Contains(p.Body, `href="/auth/login"`) {
		t.Fatalf("the sign-in page of make run: %d %s", p.Status, p.Body)
	}
	dev := br.get("/auth/dev")
	for _, want := range []string{"[INSECURE]", `value="zonnedaal/ocmw"`, `value="zonnedaal/preventie"`, `value="zonnedaal/dpo"`} {
		if !strings.Contains(dev.Body, want) {
			t.Errorf("the development sign-in lacks %s", want)
		}
	}
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(dev.Body)
	if tok == nil {
		t.Fatalf("no token on the development sign-in: %s", dev.Body)
	}
	if p := br.post("/auth/dev", "", url.Values{"who": {"zonnedaal/preventie"}}); p.Status != http.StatusForbidden {
		t.Fatalf("a development sign-in without its token: %d", p.Status)
	}
	br.post("/auth/dev", tok[1], url.Values{"who": {"zonnedaal/preventie"}})
	home := br.get("/")
	if !strings.Contains(home.Body, "dev-preventie") || !strings.Contains(home.Body, `href="/intake"`) || !strings.Contains(home.Body, "[INSECURE]") {
		t.Fatalf("signed in as preventie: %s", home.Body)
	}
	if p := br.get("/intake"); p.Status != 200 {
		t.Fatalf("the coordinator's intake on the embedded store: %d %s", p.Status, p.Body)
	}
}
