package browser

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// apiToken mints an API token for actor of the demo cell, signed by the
// key whose JWKS the broker was started with, for the broker's default
// issuer and audience.
func (e *webEnv) apiToken(t testing.TB, actor string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer("livc-dev").Audience([]string{"livc-broker"}).
		Subject(actor+"-api").IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).
		Claim("livc", "zonnedaal").Claim("actor", actor).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), e.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// api calls the broker's HTTP API as actor under purpose, with body as
// JSON (nil for none), decodes a 2xx answer into out (when not nil) and
// returns the status.
func (e *webEnv) api(t testing.TB, actor, method, path, purpose string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.Broker.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiToken(t, actor))
	req.Header.Set("LIVC-Purpose", purpose)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	} else if resp.StatusCode/100 != 2 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}
