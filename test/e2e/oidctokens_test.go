package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/internal/clilogin"
	"github.com/livc/livc-broker/test/oidcprovider"
)

// The API's tokens from an OpenID provider: the broker knows only the
// provider's URL and the names of its claims; people get their tokens with
// livcctl login.
const (
	cliClient      = "livcctl"       // tokens good for an hour
	cliShortClient = "livcctl-short" // tokens good for two seconds
	apiAudience    = "api://livc-broker"
)

// oidcCell is a broker that knows only an OpenID provider's URL and the
// names of its claims, with a signal of pz's submitted through livcctl.
type oidcCell struct {
	idp *oidcprovider.Provider
	b   *brokerProc
	pz  string // pz's configuration directory, after livcctl login
	ref string // the person of pz's signal
}

// startOIDCCell starts the provider (users whose claims are "person",
// "org.cell" and "role"; "norole" lacks the role), the broker given
// --oidc-issuer and those claim names and several audiences, and has pz
// log in with livcctl and submit a signal with the saved token.
func startOIDCCell(t *testing.T) *oidcCell {
	t.Helper()
	m := loadModel(t)
	idp, err := oidcprovider.Start()
	must(t, err)
	t.Cleanup(func() { idp.Close() })
	for _, actor := range []string{"pz", "preventie"} {
		idp.AddUser(oidcprovider.User{Login: actor, Subject: "idp-" + actor, Claims: map[string]any{
			"person": "person-" + actor, "org": map[string]any{"cell": m.Livc}, "role": actor}})
	}
	idp.AddUser(oidcprovider.User{Login: "norole", Subject: "idp-norole", Claims: map[string]any{
		"person": "person-norole", "org": map[string]any{"cell": m.Livc}}})
	idp.AddNativeClient(cliClient, []string{apiAudience}, time.Hour, "http://127.0.0.1/callback")
	idp.AddNativeClient(cliShortClient, []string{apiAudience}, 2*time.Second, "http://127.0.0.1/callback")
	r := startRedis(t)
	b := startBroker(t, r.Addr, nil, "--config", examplePath, "--oidc-issuer", idp.Issuer,
		"--audience", "livc-broker-staging", "--audience", apiAudience,
		"--claim-sub", "person", "--claim-livc", "org.cell", "--claim-actor", "role")
	c := &oidcCell{idp: idp, b: b, pz: cliLogin(t, idp, cliClient, "pz")}
	signal, err := filepath.Abs("../../examples/signal-pz.json")
	must(t, err)
	out, err := livcctlAs(t, c.pz, b.URL, "submit", "-q", signal)
	if err != nil {
		t.Fatalf("livcctl submit with the saved token: %v\n%s", err, out)
	}
	c.ref = refOf(t, b.URL, savedToken(t, cliLogin(t, idp, cliClient, "preventie")), strings.TrimSpace(out))
	return c
}

// TestOIDCLogin: the tokens livcctl login gets from the provider (renamed
// and nested claims, the API among several audiences) are taken by the
// broker; the token file is the owner's alone, and refused when it is not.
func TestOIDCLogin(t *testing.T) {
	c := startOIDCCell(t)
	t.Run("the token file is the owner's alone", func(t *testing.T) {
		for name, want := range map[string]os.FileMode{filepath.Join(c.pz, "livcctl"): 0o700, tokenPath(c.pz): 0o600} {
			fi, err := os.Stat(name)
			must(t, err)
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %04o, want %04o", name, fi.Mode().Perm(), want)
			}
		}
	})
	t.Run("livcctl reads a card with the saved token", func(t *testing.T) {
		out, err := livcctlAs(t, c.pz, c.b.URL, "card", "--purpose", "signal", c.ref)
		if err != nil || !strings.Contains(out, "police_record") {
			t.Fatalf("livcctl card: %v\n%s", err, out)
		}
	})
	t.Run("a mapped claim missing is refused", func(t *testing.T) {
		got := do(t, "GET", c.b.URL+"/v1/subjects/"+c.ref+"/card", nil, "Authorization", "Bearer "+savedToken(t, cliLogin(t, c.idp, cliClient, "norole")),
			"LIVC-Purpose", "signal", "X-Request-Id", "norole-1")
		if got.Status != 401 || !strings.Contains(got.Header.Get("WWW-Authenticate"), `error_description="missing claim"`) {
			t.Fatalf("%d %q", got.Status, got.Header.Get("WWW-Authenticate"))
		}
		waitLogHas(t, c.b, `"request_id":"norole-1"`)
		if line := logLine(c.b, `"request_id":"norole-1"`); !strings.Contains(line, `"token_refused":"missing claim role"`) {
			t.Errorf("log line %s", line)
		}
	})
	t.Run("a token file open to others is refused", func(t *testing.T) {
		must(t, os.Chmod(tokenPath(c.pz), 0o644))
		out, err := livcctlAs(t, c.pz, c.b.URL, "card", "--purpose", "signal", c.ref)
		if err == nil || !strings.Contains(out, "mode 0644") {
			t.Fatalf("livcctl card: %v\n%s", err, out)
		}
	})
}

// TestOIDCExpiredToken: an expired token from the provider is refused with
// error_description "token expired" in WWW-Authenticate and the reason in
// the operator's log line, never the token, under the same 401 body as any
// other refusal; livcctl then refreshes it and reads the card.
func TestOIDCExpiredToken(t *testing.T) {
	c := startOIDCCell(t)
	short := cliLogin(t, c.idp, cliShortClient, "pz")
	tok, err := clilogin.Load(tokenPath(short))
	must(t, err)
	expired := tok.AccessToken
	time.Sleep(time.Until(tok.Expiry) + 1100*time.Millisecond) // exp is in whole seconds
	cardURL := c.b.URL + "/v1/subjects/" + c.ref + "/card"
	t.Run("refused, and says so", func(t *testing.T) {
		got := do(t, "GET", cardURL, nil, "Authorization", "Bearer "+expired, "LIVC-Purpose", "signal", "X-Request-Id", "expired-1")
		want := `Bearer realm="livc-broker", error="invalid_token", error_description="token expired"`
		if got.Status != 401 || got.Header.Get("WWW-Authenticate") != want {
			t.Fatalf("%d %q; want 401 %q", got.Status, got.Header.Get("WWW-Authenticate"), want)
		}
		garbage := do(t, "GET", cardURL, nil, "Authorization", "Bearer not-a-token", "LIVC-Purpose", "signal")
		if garbage.Header.Get("WWW-Authenticate") != `Bearer realm="livc-broker", error="invalid_token", error_description="malformed token"` {
			t.Errorf("garbage: %q", garbage.Header.Get("WWW-Authenticate"))
		}
		if withoutRequestID(t, got.Body) != withoutRequestID(t, garbage.Body) {
			t.Errorf("the 401 bodies differ:\n%s\n%s", got.Body, garbage.Body)
		}
		waitLogHas(t, c.b, `"request_id":"expired-1"`)
		if line := logLine(c.b, `"request_id":"expired-1"`); !strings.Contains(line, `"token_refused":"expired"`) {
			t.Errorf("the log line does not give the reason: %s", line)
		}
		for _, part := range strings.Split(expired, ".") {
			if strings.Contains(c.b.logs.String(), part) {
				t.Fatal("the broker's log holds the token")
			}
		}
	})
	t.Run("no token: a challenge without error", func(t *testing.T) {
		got := do(t, "GET", cardURL, nil, "LIVC-Purpose", "signal")
		if got.Status != 401 || got.Header.Get("WWW-Authenticate") != `Bearer realm="livc-broker"` {
			t.Fatalf("%d %q", got.Status, got.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("livcctl refreshes it", func(t *testing.T) {
		out, err := livcctlAs(t, short, c.b.URL, "card", "--purpose", "signal", c.ref)
		if err != nil || !strings.Contains(out, "police_record") {
			t.Fatalf("livcctl card: %v\n%s", err, out)
		}
		if savedToken(t, short) == expired {
			t.Error("the token file still holds the expired token")
		}
		if fi, err := os.Stat(tokenPath(short)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("after the refresh: %v %v", fi.Mode(), err)
		}
	})
}

// TestOIDCDiscoveryFailureStopsStart: a provider that cannot be reached at
// start is a clear error, not a broker that refuses every token.
func TestOIDCDiscoveryFailureStopsStart(t *testing.T) {
	r := startRedis(t)
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off",
		"--redis-url", "redis://"+r.Addr+"/0", "--data", t.TempDir(), "--oidc-issuer", "http://127.0.0.1:1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--oidc-issuer") || !strings.Contains(string(out), "OpenID discovery") {
		t.Fatalf("exit %v:\n%s", err, out)
	}
}

// cliLogin runs livcctl login as a process with its own configuration
// directory, signs in as user in the role of the browser, and returns the
// directory.
func cliLogin(t *testing.T, idp *oidcprovider.Provider, clientID, user string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "livcctl"), "login", "--issuer", idp.Issuer, "--client-id", clientID, "--timeout", "20s")
	cmd.Env = cliEnv(home, "")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	var u string
	for u == "" && sc.Scan() {
		u = loginURL(sc.Text(), idp.Issuer)
	}
	if u == "" {
		cmd.Process.Kill()
		t.Fatal("livcctl login printed no URL")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if err := cliBrowserSignIn(u, user); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil || !strings.Contains(stdout.String(), "Signed in") {
		t.Fatalf("livcctl login: %v %s", err, stdout.String())
	}
	return home
}

// loginURL is the URL on line when it is the one livcctl login prints for
// the browser (at the provider issuer), else "".
func loginURL(line, issuer string) string {
	if line = strings.TrimSpace(line); strings.HasPrefix(line, issuer+"/") {
		return line
	}
	return ""
}

// cliBrowserSignIn is the person's browser: it opens u, signs in as login
// on the provider's form and follows the redirects back to livcctl.
func cliBrowserSignIn(u, login string) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	form := resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String()
	resp, err = c.PostForm(form, url.Values{"id": {id}, "username": {login}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Hostname() != "127.0.0.1" || resp.Request.URL.Path != "/callback" {
		return &url.Error{Op: "sign-in ended", URL: resp.Request.URL.Redacted(), Err: http.ErrNotSupported}
	}
	return nil
}

// cliEnv is livcctl's environment: its configuration directory, the
// broker, and no LIVC_TOKEN.
func cliEnv(home, broker string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIVC_TOKEN=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CONFIG_HOME="+home, "LIVC_BROKER="+broker)
}

func livcctlAs(t *testing.T, home, broker string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "livcctl"), args...)
	cmd.Env = cliEnv(home, broker)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func tokenPath(home string) string { return filepath.Join(home, "livcctl", "token.json") }

func savedToken(t *testing.T, home string) string {
	t.Helper()
	tok, err := clilogin.Load(tokenPath(home))
	must(t, err)
	return tok.AccessToken
}

// withoutRequestID is a problem document without its request and audit
// ids, which differ from one answer to the next.
func withoutRequestID(t *testing.T, body []byte) string {
	t.Helper()
	var p map[string]any
	must(t, json.Unmarshal(body, &p))
	delete(p, "request_id")
	delete(p, "audit_id")
	b, _ := json.Marshal(p)
	return string(b)
}

// logLine is the broker's log line holding s.
func logLine(b *brokerProc, s string) string {
	for _, line := range strings.Split(b.logs.String(), "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
