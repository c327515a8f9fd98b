package token

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// FuzzMappedClaims signs arbitrary JSON payloads with a key the verifier
// trusts and reads them through mapped, nested claim names: whatever the
// shape of the payload, it must never panic, a refusal must be a 401 with a
// description from the vocabulary, and an accepted token must give sane
// principal strings.
func FuzzMappedClaims(f *testing.F) {
	priv, _ := fuzzKey(f)
	clk := &clock{t: t0}
	v, err := New(context.Background(), Conf{JWKS: writeJWKS(f, pub(f, priv)), Issuer: testIss, Audiences: []string{testAud, "api://x"},
		Claims: ClaimNames{Sub: "oid", Livc: "org.cell", Actor: "https://idp.example/actor"}, CacheSize: -1, Now: clk.now})
	if err != nil {
		f.Fatal(err)
	}
	base := payload(good())
	for _, extra := range []string{
		`{"oid":"p","org":{"cell":"c"},"https://idp.example/actor":"a"}`,
		`{"oid":"p","org":{"cell":{"cell":"c"}},"https://idp.example/actor":"a"}`,
		`{"oid":"p","org":"c","https://idp.example/actor":["a"]}`,
		`{"oid":null,"org":[],"https://idp":{"example/actor":"a"}}`,
		`{"aud":["x","api://x"],"oid":"p","org":{"cell":"c"},"https://idp.example/actor":"\u0000"}`,
	} {
		f.Add(extra)
	}
	f.Fuzz(func(t *testing.T, extra string) {
		var m map[string]any
		if json.Unmarshal([]byte(extra), &m) != nil {
			return
		}
		c := map[string]any{}
		for k, x := range base {
			c[k] = x
		}
		for k, x := range m {
			c[k] = x
		}
		tok, err := Issue(priv, Claims{Extra: c})
		if err != nil {
			return
		}
		p, err := v.Authenticate(context.Background(), tok)
		if err != nil {
			var d interface{ TokenErrorDescription() string }
			if broker.KindOf(err) != broker.KindUnauthenticated || !errors.As(err, &d) || d.TokenErrorDescription() == "" {
				t.Fatalf("refusal %v is not a described 401", err)
			}
			return
		}
		for _, s := range []string{p.Sub, p.Livc, p.Actor} {
			if s == "" || !sane(s) {
				t.Fatalf("accepted an insane principal %+v", p)
			}
		}
	})
}
