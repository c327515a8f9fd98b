package token

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func TestGenerateDevKey(t *testing.T) {
	priv, set, err := GenerateDevKey("dev-1")
	if err != nil {
		t.Fatal(err)
	}
	if alg, _ := priv.Algorithm(); alg != jwa.EdDSA() {
		t.Errorf("alg %v, want EdDSA", alg)
	}
	if kid, _ := priv.KeyID(); kid != "dev-1" {
		t.Errorf("kid %q", kid)
	}
	if set.Len() != 1 {
		t.Fatalf("set of %d keys", set.Len())
	}
	if _, err := checkSet(set, nil); err != nil {
		t.Fatalf("the dev set would be refused: %v", err)
	}
	if _, _, err := GenerateDevKey(""); err == nil {
		t.Error("accepted an empty kid")
	}
}

func TestWriteDevSet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	actors := []string{"police-gent", "ocmw-gent"}
	if err := WriteDevSet(dir, testLivc, actors, testIss, testAud, time.Hour); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{
		"signing-key.jwk":        0o600,
		"jwks.json":              0o644,
		"tokens/police-gent.jwt": 0o600,
		"tokens/ocmw-gent.jwt":   0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	if DevJWKSPath(dir) != filepath.Join(dir, "jwks.json") {
		t.Errorf("DevJWKSPath %q", DevJWKSPath(dir))
	}
	v, err := New(context.Background(), Conf{JWKS: DevJWKSPath(dir), Issuer: testIss, Audience: testAud})
	if err != nil {
		t.Fatal(err)
	}
	first := readToken(t, dir, "police-gent")
	for _, a := range actors {
		p, err := v.Authenticate(context.Background(), readToken(t, dir, a))
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if p.Sub != a+"-dev" || p.Actor != a || p.Livc != testLivc {
			t.Errorf("%s: principal %+v", a, p)
		}
	}

	t.Run("writing again keeps the key", func(t *testing.T) {
		jwks := mustRead(t, DevJWKSPath(dir))
		time.Sleep(1100 * time.Millisecond) // a new iat, so a new token
		if err := WriteDevSet(dir, testLivc, actors, testIss, testAud, time.Hour); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(jwks, mustRead(t, DevJWKSPath(dir))) {
			t.Error("the JWKS changed")
		}
		again := readToken(t, dir, "police-gent")
		if again == first {
			t.Error("the token was not issued again")
		}
		for _, raw := range []string{first, again} {
			if _, err := v.Authenticate(context.Background(), raw); err != nil {
				t.Errorf("token refused after rewrite: %v", err)
			}
		}
	})

	t.Run("refuses", func(t *testing.T) {
		cases := []struct {
			name   string
			actors []string
			ttl    time.Duration
		}{
			{"path in an actor id", []string{"../evil"}, time.Hour},
			{"no actors", nil, time.Hour},
			{"no ttl", actors, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if err := WriteDevSet(t.TempDir(), testLivc, tc.actors, testIss, testAud, tc.ttl); err == nil {
					t.Fatal("accepted")
				}
			})
		}
	})

	t.Run("refuses a foreign key file", func(t *testing.T) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "signing-key.jwk"), mustRead(t, "testdata/jwks-oct.json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteDevSet(d, testLivc, actors, testIss, testAud, time.Hour); err == nil {
			t.Fatal("accepted a signing-key.jwk that is not an Ed25519 dev key")
		}
	})
}

func readToken(t *testing.T, dir, actor string) string {
	t.Helper()
	return string(mustRead(t, filepath.Join(dir, "tokens", actor+".jwt")))
}

func TestIssueNeedsAlg(t *testing.T) {
	k := newKey(t, "EdDSA", "k")
	if err := k.Remove("alg"); err != nil {
		t.Fatal(err)
	}
	if _, err := Issue(k, good()); err == nil {
		t.Fatal("signed with a key without alg")
	}
}
