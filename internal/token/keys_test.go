package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

func TestNewRefusesKeySets(t *testing.T) {
	noAlg := func(k jwk.Key) jwk.Key {
		c, _ := k.Clone()
		if err := c.Remove(jwk.AlgorithmKey); err != nil {
			t.Fatal(err)
		}
		return c
	}
	withField := func(k jwk.Key, name string, v any) jwk.Key {
		c, _ := k.Clone()
		mustSet(t, c, name, v)
		return c
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k521, _ := jwk.Import(p521.Public())
	ed := pub(t, newKey(t, "EdDSA", "ed"))
	rs := pub(t, newKey(t, "RS256", "rs"))
	es384 := pub(t, newKey(t, "ES384", "es384"))

	cases := []struct {
		name string
		path string
		want string // in the error
	}{
		{"symmetric oct key (fixture)", "testdata/jwks-oct.json", "symmetric (oct)"},
		{"RSA key without alg", writeJWKS(t, noAlg(rs)), "RS256 and PS256"},
		{"HS256 alg on an RSA key", writeJWKS(t, withField(rs, jwk.AlgorithmKey, jwa.HS256())), `"HS256" is not one of`},
		{"ES512 key", writeJWKS(t, withField(k521, jwk.AlgorithmKey, jwa.ES512())), `"ES512" is not one of`},
		{"P-521 key without alg", writeJWKS(t, k521), "cannot be inferred"},
		{"ES256 alg on a P-384 key", writeJWKS(t, withField(es384, jwk.AlgorithmKey, jwa.ES256())), "does not fit"},
		{"EdDSA alg on an RSA key", writeJWKS(t, withField(rs, jwk.AlgorithmKey, jwa.EdDSA())), "does not fit"},
		{"private key", writeJWKS(t, newKey(t, "EdDSA", "priv")), "private key"},
		{"encryption key", writeJWKS(t, withField(ed, jwk.KeyUsageKey, "enc")), `use "enc"`},
		{"no verify in key_ops", writeJWKS(t, withField(ed, jwk.KeyOpsKey, jwk.KeyOperationList{jwk.KeyOpEncrypt})), "key_ops"},
		{"several keys, one without kid", writeJWKS(t, ed, withField(noAlg(rs), jwk.AlgorithmKey, jwa.RS256()), noKid(t, es384)), "has no kid"},
		{"empty set", writeRaw(t, []byte(`{"keys":[]}`)), "no key"},
		{"not JSON", writeRaw(t, []byte(`hello`)), "JWKS file"},
		{"duplicate kid", writeRaw(t, dupKid(t, ed)), "JWKS file"},
		{"missing file", "testdata/does-not-exist.json", "JWKS file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), Conf{JWKS: tc.path, Issuer: testIss, Audience: testAud})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestNewInfersAlgorithm(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES384"} {
		t.Run(alg, func(t *testing.T) {
			priv := newKey(t, alg, "k")
			p := pub(t, priv)
			if err := p.Remove(jwk.AlgorithmKey); err != nil {
				t.Fatal(err)
			}
			v, _ := newVerifier(t, writeJWKS(t, p), -1)
			if got := v.ring.Load().only.alg.String(); got != alg {
				t.Fatalf("inferred %s, want %s", got, alg)
			}
			if _, err := v.Authenticate(context.Background(), issue(t, priv, good())); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

func noKid(t *testing.T, k jwk.Key) jwk.Key {
	c, _ := k.Clone()
	if err := c.Remove(jwk.KeyIDKey); err != nil {
		t.Fatal(err)
	}
	return c
}

func dupKid(t *testing.T, k jwk.Key) []byte {
	one, _ := json.Marshal(k)
	return []byte(`{"keys":[` + string(one) + `,` + string(one) + `]}`)
}

// jwksServer serves whatever body holds.
func jwksServer(t *testing.T, body *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body.Load().([]byte))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNewFromURL(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	set := jwk.NewSet()
	if err := set.AddKey(pub(t, ed)); err != nil {
		t.Fatal(err)
	}
	goodSet, _ := json.Marshal(set)
	oct := mustRead(t, "testdata/jwks-oct.json")

	t.Run("serves a good set", func(t *testing.T) {
		var body atomic.Value
		body.Store(goodSet)
		srv := jwksServer(t, &body)
		v, err := New(t.Context(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		p, err := v.Authenticate(context.Background(), issue(t, ed, good()))
		if err != nil || p.Actor != "police-gent" {
			t.Fatalf("principal %+v, error %v", p, err)
		}
	})
	t.Run("answers 500", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		_, err := New(t.Context(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud})
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("error %v, want one naming the status", err)
		}
	})
	t.Run("Close stops the refresh", func(t *testing.T) {
		var body atomic.Value
		body.Store(goodSet)
		srv := jwksServer(t, &body)
		v, err := New(context.Background(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		v.Close()
		if _, err := v.Authenticate(context.Background(), issue(t, ed, good())); err != nil {
			t.Fatalf("refused with the last fetched set after Close: %v", err)
		}
	})
	t.Run("Refresh fetches the URL again; a failed fetch keeps the keys", func(t *testing.T) {
		other := newKey(t, "EdDSA", "other")
		otherSet := mustRead(t, writeJWKS(t, pub(t, other)))
		var body atomic.Value
		body.Store(goodSet)
		srv := jwksServer(t, &body)
		v, err := New(t.Context(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud, Refresh: -1, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		edToken := issue(t, ed, good())
		if _, err := v.Authenticate(context.Background(), edToken); err != nil {
			t.Fatal(err)
		}
		body.Store(otherSet)
		if rep, err := v.Refresh(t.Context()); err != nil || rep.Removed != 1 || rep.Added != 1 {
			t.Fatalf("refresh %+v, %v", rep, err)
		}
		_, err = v.Authenticate(context.Background(), edToken)
		wantRefused(t, err, errUnknownKid, edToken)
		body.Store([]byte("not json"))
		if _, err := v.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "JWKS URL") {
			t.Fatalf("refresh of a broken body: %v", err)
		}
		if _, err := v.Authenticate(context.Background(), issue(t, other, good())); err != nil {
			t.Fatalf("the previous keys are gone after a failed refresh: %v", err)
		}
	})
	t.Run("the timer fetches the URL again", func(t *testing.T) {
		var body atomic.Value
		body.Store(goodSet)
		srv := jwksServer(t, &body)
		reports := make(chan RefreshReport, 16)
		v, err := New(t.Context(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud, Refresh: MinRefresh,
			OnRefresh: func(r RefreshReport, err error) {
				if err == nil {
					reports <- r
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		body.Store(mustRead(t, writeJWKS(t, pub(t, newKey(t, "EdDSA", "third")))))
		timeout := time.After(10 * time.Second)
		for added := false; !added; {
			select {
			case r := <-reports:
				added = r.Added == 1 && r.Removed == 1
			case <-timeout:
				t.Fatal("the new key not fetched within 10s of a 1s timer")
			}
		}
	})
	t.Run("serves an oct key", func(t *testing.T) {
		var body atomic.Value
		body.Store(oct)
		srv := jwksServer(t, &body)
		_, err := New(t.Context(), Conf{JWKS: srv.URL, Issuer: testIss, Audience: testAud})
		if err == nil || !strings.Contains(err.Error(), "symmetric") {
			t.Fatalf("error %v, want a refusal of the oct key", err)
		}
	})
}
