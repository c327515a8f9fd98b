package browser

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/livc/livc-broker/test/oidcprovider"
)

// The people of the demo cell the browser tests sign in as, at the test
// OpenID provider: a social worker of the OCMW and the coordinator.
const (
	socialWorker = "an.ocmw"
	coordinator  = "piet.preventie"
	webClientID  = "livc-broker-web"
)

// webEnv is a real broker on its own Redis, serving the web pages, whose
// people sign in at a real OpenID provider started by the test.
type webEnv struct {
	Broker   *brokerProc
	Provider *oidcprovider.Provider
	// APIKey signs API tokens the broker accepts (the JWKS it is given),
	// for a test that acts through the API beside the browser.
	APIKey jwk.Key
}

// startWebEnv starts Redis, the OpenID provider with the two people, and the
// broker with OIDC sign-in and a JWKS of its own for API tokens (so that
// the development sign-in does not exist, as in production).
func startWebEnv(t testing.TB) *webEnv {
	t.Helper()
	sharedBrowser(t) // fail or skip before starting anything
	redisAddr := startRedis(t)
	prov, err := oidcprovider.Start()
	if err != nil {
		t.Fatalf("starting the OpenID provider: %v", err)
	}
	t.Cleanup(func() { _ = prov.Close() })
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	secret := randomSecret(t)
	jwksPath, apiKey := apiJWKS(t)
	prov.AddClient(webClientID, secret, base+"/auth/callback")
	prov.AddUser(oidcprovider.User{Login: socialWorker, Subject: "sub-an", Claims: map[string]any{"livc": "zonnedaal", "actor": "ocmw"}})
	prov.AddUser(oidcprovider.User{Login: coordinator, Subject: "sub-piet", Claims: map[string]any{"livc": "zonnedaal", "actor": "preventie"}})
	b := startBroker(t, redisAddr, port, []string{"LIVC_OIDC_CLIENT_SECRET=" + secret},
		"--jwks", jwksPath,
		"--oidc-issuer", prov.Issuer, "--oidc-client-id", webClientID,
		"--oidc-redirect-url", base+"/auth/callback")
	return &webEnv{Broker: b, Provider: prov, APIKey: apiKey}
}

func randomSecret(t testing.TB) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// apiJWKS writes the public JWKS of a fresh Ed25519 key, the broker's
// verifier of API tokens, and returns its path and the private key (the
// browser uses sessions; a test may act through the API with it).
func apiJWKS(t testing.TB) (string, jwk.Key) {
	t.Helper()
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(priv.Set(jwk.KeyIDKey, "browser-1"), priv.Set(jwk.AlgorithmKey, jwa.EdDSA())); err != nil {
		t.Fatal(err)
	}
	pub, err := priv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, priv
}

// SignIn signs login in through the provider as a browser does: the
// broker's sign-in page, its link to the provider, the provider's form, and
// back to the broker with a session. It checks the sign-in page and the
// provider's form with axe-core on the way.
func (e *webEnv) SignIn(tab *Tab, login string) {
	tab.t.Helper()
	tab.Do(chromedp.Navigate(e.Broker.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/auth/login"]`)))
	tab.CheckPage("the sign-in page")
	tab.Do(
		chromedp.Click(chromedp.CSS(`a[href="/auth/login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), login),
		chromedp.Click(chromedp.CSS(`#signin`)),
	)
	tab.WaitFor("the broker's page after sign-in", 15*time.Second, func() error {
		loc, _ := TryEval[string](tab, "location.href")
		if n, err := TryEval[int](tab, `document.querySelectorAll("form.signout").length`); !strings.HasPrefix(loc, e.Broker.URL) || err != nil || n == 0 {
			return fmt.Errorf("at %s: %w", loc, errNotDone)
		}
		return nil
	})
}

// Visit navigates to path of the broker and waits for its main content.
func (e *webEnv) Visit(tab *Tab, path string) {
	tab.t.Helper()
	tab.Do(chromedp.Navigate(e.Broker.URL+path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
}

// Path is the path of the tab's page, or "" while it is navigating.
func (tab *Tab) Path() string {
	p, _ := TryEval[string](tab, "location.pathname")
	return p
}
