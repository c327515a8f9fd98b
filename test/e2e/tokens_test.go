package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// statsAs reads GET /v1/stats with token: the strategic table's one route,
// a cheap way to ask whether a token is accepted (200) or not (401).
func statsAs(t *testing.T, b *brokerProc, token string) int {
	t.Helper()
	return do(t, "GET", b.URL+"/v1/stats", nil, "Authorization", "Bearer "+token, "LIVC-Purpose", "policy").Status
}

// TestTokenLifetime checks that a token good for longer than
// --max-token-lifetime (12h by default) is refused like any bad token,
// whether it says when it was issued or not.
func TestTokenLifetime(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	lasting := func(d time.Duration) func(*jwt.Builder) {
		return func(jb *jwt.Builder) { jb.Expiration(time.Now().Add(d)) }
	}
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"an hour", iss.token(t, m.Livc, "burgemeester"), 200},
		{"eleven hours", iss.token(t, m.Livc, "burgemeester", lasting(11*time.Hour)), 200},
		{"thirteen hours", iss.token(t, m.Livc, "burgemeester", lasting(13*time.Hour)), 401},
		{"ten years", iss.token(t, m.Livc, "burgemeester", lasting(10*365*24*time.Hour)), 401},
		{"ten years, without iat", iss.rawToken(t, `{"alg":"EdDSA","kid":"e2e-1"}`, withoutIat(m.Livc, "burgemeester", 10*365*24*time.Hour)), 401},
		{"eleven hours, without iat", iss.rawToken(t, `{"alg":"EdDSA","kid":"e2e-1"}`, withoutIat(m.Livc, "burgemeester", 11*time.Hour)), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: a refused token is never cached as accepted, an
			// accepted one stays accepted from the cache.
			for range 2 {
				if got := statsAs(t, b, tc.token); got != tc.want {
					t.Fatalf("status %d, want %d", got, tc.want)
				}
			}
		})
	}
	t.Run("the maximum is a setting", func(t *testing.T) {
		short := startBroker(t, rs.Addr, iss, "--config", examplePath, "--max-token-lifetime", "30m")
		if got := statsAs(t, short, iss.token(t, m.Livc, "burgemeester")); got != 401 {
			t.Fatalf("an hour's token under a 30m maximum: %d", got)
		}
		if got := statsAs(t, short, iss.token(t, m.Livc, "burgemeester", lasting(20*time.Minute))); got != 200 {
			t.Fatalf("a 20m token under a 30m maximum: %d", got)
		}
	})
}

// TestTokenRepeatedKeys checks that a token whose header or payload gives a
// key twice is refused, though its signature is good: jwx would take the
// last value, another reader the first.
func TestTokenRepeatedKeys(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	claims := withIat(m.Livc, "burgemeester", time.Hour)
	hdr := `{"alg":"EdDSA","kid":"e2e-1"}`
	for _, tc := range []struct {
		name, header, payload string
		want                  int
	}{
		{"plain", hdr, claims, 200},
		{"actor twice", hdr, strings.Replace(claims, `"actor":`, `"actor":"ocmw","actor":`, 1), 401},
		{"actor twice, once escaped", hdr, strings.Replace(claims, `"actor":`, `"\u0061ctor":"ocmw","actor":`, 1), 401},
		{"exp twice", hdr, strings.Replace(claims, `"exp":`, `"exp":1,"exp":`, 1), 401},
		{"kid twice in the header", `{"alg":"EdDSA","kid":"nobody","kid":"e2e-1"}`, claims, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statsAs(t, b, iss.rawToken(t, tc.header, tc.payload)); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}

// TestJWKSRefresh checks that the JWKS file is read again on SIGHUP and on
// the --jwks-refresh timer; that a token verified (and cached) under a key
// that then leaves the set is refused on its next use; and that a reading
// that fails keeps the previous keys and says so.
func TestJWKSRefresh(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	second := newSigningKey(t, "e2e-2")
	rs := startRedis(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	writeJWKSFile(t, jwks, iss.priv, second.priv)
	both := &issuerKey{priv: iss.priv, jwksPath: jwks}
	b := startBroker(t, rs.Addr, both, "--config", examplePath) // the default timer (5m) does not fire during the test
	byFirst := iss.token(t, m.Livc, "burgemeester")
	bySecond := second.token(t, m.Livc, "burgemeester")
	for _, tok := range []string{byFirst, bySecond} {
		if got := statsAs(t, b, tok); got != 200 {
			t.Fatalf("before the refresh: %d", got)
		}
	}
	t.Run("SIGHUP: a removed key's cached token is refused", func(t *testing.T) {
		writeJWKSFile(t, jwks, iss.priv)
		sighup(t, b, `"msg":"JWKS read again"`)
		if got := statsAs(t, b, bySecond); got != 401 {
			t.Fatalf("token of the removed key: %d", got)
		}
		if got := statsAs(t, b, byFirst); got != 200 {
			t.Fatalf("token of the key that stays: %d", got)
		}
	})
	t.Run("SIGHUP: a file that cannot be read keeps the previous keys", func(t *testing.T) {
		must(t, os.WriteFile(jwks, []byte(`{"keys": [`), 0o644))
		sighup(t, b, "JWKS refresh failed; the previous keys stay in force")
		if got := statsAs(t, b, byFirst); got != 200 {
			t.Fatalf("after a failed refresh: %d", got)
		}
		if strings.Contains(b.logs.String(), `"kty"`) {
			t.Error("the log holds key material")
		}
	})
	t.Run("the timer reads the file again", func(t *testing.T) {
		writeJWKSFile(t, jwks, iss.priv, second.priv)
		timed := startBroker(t, rs.Addr, both, "--config", examplePath, "--jwks-refresh", "1s")
		if got := statsAs(t, timed, bySecond); got != 200 {
			t.Fatalf("before the refresh: %d", got)
		}
		writeJWKSFile(t, jwks, iss.priv)
		deadline := time.Now().Add(15 * time.Second)
		for statsAs(t, timed, bySecond) != 401 {
			if time.Now().After(deadline) {
				t.Fatal("the removed key still verifies 15s later with --jwks-refresh 1s")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// waitLog waits until the broker's log, past its first after bytes, holds
// says.
// sighup sends b SIGHUP and waits until its log, from then on, says says.
func sighup(t *testing.T, b *brokerProc, says string) {
	t.Helper()
	after := len(b.logs.String())
	must(t, b.cmd.Process.Signal(syscall.SIGHUP))
	waitLog(t, b, after, says)
}

func waitLog(t *testing.T, b *brokerProc, after int, says string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		logs := b.logs.String()
		if len(logs) > after && strings.Contains(logs[after:], says) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say %q within 15s", says)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newSigningKey is an issuer key of its own (kid), whose JWKS nobody uses
// unless a test writes it into one.
func newSigningKey(t *testing.T, kid string) *issuerKey {
	t.Helper()
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	priv, err := jwk.Import(raw)
	must(t, err)
	must(t, priv.Set(jwk.KeyIDKey, kid))
	must(t, priv.Set(jwk.AlgorithmKey, jwa.EdDSA()))
	return &issuerKey{priv: priv}
}

// writeJWKSFile replaces path with the JWKS of the public halves of privs.
func writeJWKSFile(t *testing.T, path string, privs ...jwk.Key) {
	t.Helper()
	set := jwk.NewSet()
	for _, p := range privs {
		pub, err := p.PublicKey()
		must(t, err)
		must(t, set.AddKey(pub))
	}
	buf, err := json.Marshal(set)
	must(t, err)
	tmp := path + ".tmp"
	must(t, os.WriteFile(tmp, buf, 0o644))
	must(t, os.Rename(tmp, path))
}

// rawToken signs header and payload as given (a key may repeat) with k.
func (k *issuerKey) rawToken(t *testing.T, header, payload string) string {
	t.Helper()
	var raw ed25519.PrivateKey
	must(t, jwk.Export(k.priv, &raw))
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return input + "." + enc.EncodeToString(ed25519.Sign(raw, []byte(input)))
}

// withIat is the JSON payload of a token for actor, issued now, good for d.
func withIat(livc, actor string, d time.Duration) string {
	now := time.Now().Unix()
	b, _ := json.Marshal(map[string]any{"iss": issuer, "aud": audience, "sub": actor + "-person",
		"livc": livc, "actor": actor, "iat": now, "exp": now + int64(d.Seconds())})
	return string(b)
}

// withoutIat is the same without iat.
func withoutIat(livc, actor string, d time.Duration) string {
	now := time.Now().Unix()
	b, _ := json.Marshal(map[string]any{"iss": issuer, "aud": audience, "sub": actor + "-person",
		"livc": livc, "actor": actor, "exp": now + int64(d.Seconds())})
	return string(b)
}
