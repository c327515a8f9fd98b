package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/livc/livc-broker/broker"
)

const (
	testIss  = "livc-test"
	testAud  = "livc-broker"
	testLivc = "livc-gent"
)

// t0 is the tests' "now".
var t0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

// rsaKeys caches generated RSA keys: generating them dominates test time.
var rsaKeys sync.Map // kid -> *rsa.PrivateKey

// newKey returns a private signing key of the given alg with kid set.
func newKey(t testing.TB, alg, kid string) jwk.Key {
	t.Helper()
	var raw any
	switch alg {
	case "EdDSA":
		k, _, err := GenerateDevKey(kid)
		if err != nil {
			t.Fatal(err)
		}
		return k
	case "ES256", "ES384":
		curve := elliptic.P256()
		if alg == "ES384" {
			curve = elliptic.P384()
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		raw = k
	case "RS256", "PS256":
		k, ok := rsaKeys.Load(kid)
		if !ok {
			gen, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			k, _ = rsaKeys.LoadOrStore(kid, gen)
		}
		raw = k
	default:
		t.Fatalf("no test key for %s", alg)
	}
	k, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := jwa.LookupSignatureAlgorithm(alg)
	mustSet(t, k, jwk.KeyIDKey, kid)
	mustSet(t, k, jwk.AlgorithmKey, sa)
	return k
}

func mustSet(t testing.TB, k jwk.Key, name string, v any) {
	t.Helper()
	if err := k.Set(name, v); err != nil {
		t.Fatal(err)
	}
}

// pub returns the public half of priv.
func pub(t testing.TB, priv jwk.Key) jwk.Key {
	t.Helper()
	p, err := priv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeJWKS writes the given keys as a JWKS file and returns its path.
func writeJWKS(t testing.TB, keys ...jwk.Key) string {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return writeRaw(t, buf)
}

func writeRaw(t testing.TB, buf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// clock is a settable clock for Conf.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// newVerifier returns a verifier of the JWKS at path, at time t0.
func newVerifier(t testing.TB, path string, cacheSize int) (*Verifier, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	v, err := New(context.Background(), Conf{
		JWKS: path, Issuer: testIss, Audience: testAud, CacheSize: cacheSize, Now: clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v, clk
}

// good returns claims valid at t0.
func good() Claims {
	return Claims{
		Sub: "alice", Livc: testLivc, Actor: "police-gent", Issuer: testIss, Audience: testAud,
		IssuedAt: t0.Add(-time.Minute), NotBefore: t0.Add(-time.Minute), Expires: t0.Add(time.Hour),
	}
}

func issue(t testing.TB, priv jwk.Key, c Claims) string {
	t.Helper()
	tok, err := Issue(priv, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rawJWS builds a compact JWS by hand, for tokens jwx would not sign.
func rawJWS(header, payload map[string]any, sign func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}

func hs256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

// payload returns the JSON claims of c, as a map for rawJWS.
func payload(c Claims) map[string]any {
	return map[string]any{
		"sub": c.Sub, "livc": c.Livc, "actor": c.Actor, "iss": c.Issuer, "aud": c.Audience,
		"iat": c.IssuedAt.Unix(), "nbf": c.NotBefore.Unix(), "exp": c.Expires.Unix(),
	}
}

// wantRefused checks that err is the 401 refusal with reason want and holds
// no part of the token.
func wantRefused(t testing.TB, err error, want reason, raw string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal %q", want)
	}
	if broker.KindOf(err) != broker.KindUnauthenticated {
		t.Errorf("kind %v, want KindUnauthenticated", broker.KindOf(err))
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q, want reason %q", err, want)
	}
	for _, part := range strings.Split(raw, ".") {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q contains token material", err)
		}
	}
}
