package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// mappedVerifier verifies with the claim names and audiences given.
func mappedVerifier(t *testing.T, path string, names ClaimNames, auds ...string) *Verifier {
	t.Helper()
	clk := &clock{t: t0}
	v, err := New(context.Background(), Conf{JWKS: path, Issuer: testIss, Audiences: auds, Claims: names, CacheSize: -1, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func TestClaimMapping(t *testing.T) {
	priv := newKey(t, "EdDSA", "k")
	path := writeJWKS(t, pub(t, priv))
	mapped := ClaimNames{Sub: "oid", Livc: "org.cell", Actor: "https://idp.example/actor"}
	// A token of the provider's shape: the principal under other names,
	// nested, and namespaced with dots in the name.
	custom := func(extra map[string]any) Claims {
		c := good()
		c.Sub, c.Livc, c.Actor = "", "", ""
		c.Extra = map[string]any{"oid": "person-1", "org": map[string]any{"cell": testLivc}, "https://idp.example/actor": "police-gent"}
		for k, v := range extra {
			c.Extra[k] = v
		}
		return c
	}
	cases := []struct {
		name   string
		names  ClaimNames
		claims Claims
		want   reason // "" to accept
	}{
		{"default names", ClaimNames{}, good(), ""},
		{"mapped names, nested and namespaced", mapped, custom(nil), ""},
		{"mapped name missing", mapped, custom(map[string]any{"oid": nil}), errMissingClaim("oid")},
		{"nested object missing", mapped, custom(map[string]any{"org": map[string]any{}}), errMissingClaim("org.cell")},
		{"nested parent not an object", mapped, custom(map[string]any{"org": "zonnedaal"}), errMissingClaim("org.cell")},
		{"mapped claim a number", mapped, custom(map[string]any{"oid": 42}), errBadClaim("oid")},
		{"mapped claim a list", mapped, custom(map[string]any{"https://idp.example/actor": []string{"a", "b"}}), errBadClaim("https://idp.example/actor")},
		{"mapped claim an object", mapped, custom(map[string]any{"org": map[string]any{"cell": map[string]any{}}}), errBadClaim("org.cell")},
		{"mapped claim empty", mapped, custom(map[string]any{"oid": ""}), errMissingClaim("oid")},
		{"default names on a custom token", ClaimNames{}, custom(nil), errMissingClaim("sub")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := mappedVerifier(t, path, tc.names, testAud)
			raw := issue(t, priv, tc.claims)
			p, err := v.Authenticate(context.Background(), raw)
			if tc.want != "" {
				wantRefused(t, err, tc.want, raw)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Livc != testLivc || p.Actor != "police-gent" || p.Sub == "" {
				t.Errorf("principal %+v", p)
			}
		})
	}
}

func TestSeveralAudiences(t *testing.T) {
	priv := newKey(t, "EdDSA", "k")
	v := mappedVerifier(t, writeJWKS(t, pub(t, priv)), ClaimNames{}, "livc-broker", "api://livc")
	for _, tc := range []struct {
		name string
		aud  any
		ok   bool
	}{
		{"first", "livc-broker", true},
		{"second", "api://livc", true},
		{"one of a list", []string{"someone-else", "api://livc"}, true},
		{"none of a list", []string{"someone-else", "other"}, false},
		{"another", "someone-else", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			c.Audience = ""
			c.Extra = map[string]any{"aud": tc.aud}
			raw := issue(t, priv, c)
			_, err := v.Authenticate(context.Background(), raw)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				wantRefused(t, err, errAudience, raw)
			}
		})
	}
}

func TestClaimNamesRefused(t *testing.T) {
	path := writeJWKS(t, pub(t, newKey(t, "EdDSA", "k")))
	for name, names := range map[string]ClaimNames{
		"empty segment": {Actor: "org..actor"},
		"space":         {Livc: "my cell"},
		"too deep":      {Sub: strings.Repeat("a.", maxClaimPath) + "a"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(context.Background(), Conf{JWKS: path, Issuer: testIss, Audience: testAud, Claims: names}); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := New(context.Background(), Conf{JWKS: path, Issuer: testIss, Audiences: []string{"a", ""}}); err == nil {
		t.Error("an empty audience accepted")
	}
}

// TestTokenErrorDescription checks that every reason maps to the client's
// fixed vocabulary, and that the description reaches through the broker's
// error.
func TestTokenErrorDescription(t *testing.T) {
	vocabulary := []string{DescExpired, DescNotYetValid, DescBadSignature, DescUnknownKey, DescIssuer,
		DescAudience, DescMissingClaim, DescInvalidClaim, DescLifetime, DescMalformed}
	cases := []struct {
		r    reason
		want string
	}{
		{errNoToken, ""},
		{errTooLarge, DescMalformed},
		{errMalformed, DescMalformed},
		{errUnknownKid, DescUnknownKey},
		{errMissingKid, DescUnknownKey},
		{errCritical, DescMalformed},
		{errAlgMismatch, DescBadSignature},
		{errBadSignature, DescBadSignature},
		{errExpired, DescExpired},
		{errNoExp, DescMissingClaim},
		{errNotYetValid, DescNotYetValid},
		{errIssuedFuture, DescNotYetValid},
		{errIssuer, DescIssuer},
		{errAudience, DescAudience},
		{errLifetime, DescLifetime},
		{errRepeatedKey, DescMalformed},
		{errMissingClaim("org.actor"), DescMissingClaim},
		{errBadClaim("livc"), DescInvalidClaim},
	}
	for _, tc := range cases {
		t.Run(string(tc.r), func(t *testing.T) {
			var d interface{ TokenErrorDescription() string }
			if !errors.As(refuse(tc.r), &d) {
				t.Fatal("the refusal does not carry its description")
			}
			got := d.TokenErrorDescription()
			if got != tc.want {
				t.Errorf("description %q, want %q", got, tc.want)
			}
			if got != "" && !slices.Contains(vocabulary, got) {
				t.Errorf("%q is outside the vocabulary", got)
			}
			// RFC 6750 3: error_description is %x20-21 / %x23-5B / %x5D-7E.
			if strings.ContainsAny(got, "\"\\") {
				t.Errorf("%q cannot be quoted in a challenge", got)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	var issuer, doc string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" || doc == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(strings.ReplaceAll(doc, "ISSUER", issuer)))
	}))
	defer srv.Close()
	issuer = srv.URL
	cases := []struct {
		name, doc, want string // want: the jwks_uri, or a part of the error
		ok              bool
	}{
		{"good", `{"issuer":"ISSUER","jwks_uri":"ISSUER/keys"}`, srv.URL + "/keys", true},
		{"another issuer", `{"issuer":"https://evil.example","jwks_uri":"ISSUER/keys"}`, "names the issuer", false},
		{"no jwks_uri", `{"issuer":"ISSUER"}`, "no jwks_uri", false},
		{"plain http off the loopback", `{"issuer":"ISSUER","jwks_uri":"http://idp.example/keys"}`, "must use https", false},
		{"not JSON", `<html>`, "invalid character", false},
		{"not found", ``, "status 404", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc = tc.doc
			got, err := Discover(context.Background(), issuer)
			switch {
			case tc.ok && (err != nil || got != tc.want):
				t.Errorf("Discover = %q, %v; want %q", got, err, tc.want)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Discover error %v, want one saying %q", err, tc.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		if _, err := Discover(context.Background(), "http://127.0.0.1:1"); err == nil {
			t.Error("no error")
		}
	})
	t.Run("issuer over plain http off the loopback", func(t *testing.T) {
		if _, err := Discover(context.Background(), "http://idp.example"); err == nil || !strings.Contains(err.Error(), "https") {
			t.Errorf("error %v", err)
		}
	})
}
