package token

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// The fuzz target's key is a fixture, so that its seeds stay valid: it signs
// nothing but test tokens.
const (
	fuzzKeyFile = "testdata/fuzz-test-key.jwk"
	seedDir     = "testdata/fuzz/FuzzAuthenticate"
)

func fuzzKey(t testing.TB) (priv jwk.Key, pubKey ed25519.PublicKey) {
	t.Helper()
	priv, err := jwk.ParseKey(mustReadTB(t, fuzzKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := jwk.Export(pub(t, priv), &pubKey); err != nil {
		t.Fatal(err)
	}
	return priv, pubKey
}

func mustReadTB(t testing.TB, path string) []byte {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

// FuzzAuthenticate feeds arbitrary tokens to a verifier of the fixture key.
// It must never panic, never leak the input in an error, and never accept a
// token that is not a valid EdDSA signature by that key.
func FuzzAuthenticate(f *testing.F) {
	priv, pubKey := fuzzKey(f)
	v, _ := newVerifier(f, writeJWKS(f, pub(f, priv)), 64)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := v.Authenticate(context.Background(), raw)
		if err != nil {
			if len(raw) >= 40 && strings.Contains(err.Error(), raw) {
				t.Fatalf("error %q holds the token", err)
			}
			return
		}
		if _, verr := jws.Verify([]byte(raw), jws.WithKey(jwa.EdDSA(), pubKey), jws.WithAlgorithmMatch(true)); verr != nil {
			t.Fatalf("accepted a token not signed by the test key: %v", verr)
		}
		if p.Sub == "" || p.Livc == "" || p.Actor == "" || !t0.Before(p.Expires) {
			t.Fatalf("accepted a token with principal %+v", p)
		}
	})
}

// seeds are the committed corpus, by name; only "valid" must be accepted.
func seeds(t testing.TB, priv jwk.Key) map[string]string {
	expired, noExp := good(), good()
	expired.Expires = t0.Add(-time.Second)
	noExp.Expires = time.Time{}
	return map[string]string{
		"valid":                issue(t, priv, good()),
		"refused-expired":      issue(t, priv, expired),
		"refused-no-exp":       issue(t, priv, noExp),
		"refused-alg-none":     rawJWS(map[string]any{"alg": "none"}, payload(good()), nil),
		"refused-hs256-pubkey": rawJWS(map[string]any{"alg": "HS256"}, payload(good()), hs256(mustJSON(pub(t, priv)))),
		"refused-garbage":      "....",
		"refused-crit":         signWithHeaderTB(t, priv, "crit", []string{"exp"}),
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func signWithHeaderTB(t testing.TB, priv jwk.Key, name string, value any) string {
	t.Helper()
	signed, err := jwsSign(mustJSON(payload(good())), priv, map[string]any{name: value})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestFuzzSeeds checks that the committed seeds still mean what their names
// say, so the fuzzer starts from a token it must accept. With
// LIVC_WRITE_FUZZ_SEEDS=1 it writes the key fixture and seeds first.
func TestFuzzSeeds(t *testing.T) {
	if os.Getenv("LIVC_WRITE_FUZZ_SEEDS") == "1" {
		writeFuzzFixtures(t)
	}
	priv, _ := fuzzKey(t)
	v, _ := newVerifier(t, writeJWKS(t, pub(t, priv)), -1)
	entries, err := os.ReadDir(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no fuzz seeds")
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			raw := readSeed(t, filepath.Join(seedDir, e.Name()))
			_, err := v.Authenticate(context.Background(), raw)
			if valid := strings.HasPrefix(e.Name(), "valid"); valid != (err == nil) {
				t.Fatalf("seed valid=%v, Authenticate error %v", valid, err)
			}
		})
	}
}

// readSeed parses a corpus file of the form `go test fuzz v1\nstring("...")`.
func readSeed(t *testing.T, path string) string {
	t.Helper()
	lines := strings.SplitN(strings.TrimSpace(string(mustRead(t, path))), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
		t.Fatalf("%s is not a string corpus entry", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFuzzFixtures(t *testing.T) {
	priv, _, err := GenerateDevKey("fuzz-test-key")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fuzzKeyFile, append(mustJSON(priv), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(seedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, raw := range seeds(t, priv) {
		body := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", raw)
		if err := os.WriteFile(filepath.Join(seedDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
