package token

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/livc/livc-broker/broker"
)

func TestAuthenticateEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES384", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			priv := newKey(t, alg, "k-"+alg)
			v, _ := newVerifier(t, writeJWKS(t, pub(t, priv)), -1)
			c := good()
			p, err := v.Authenticate(context.Background(), issue(t, priv, c))
			if err != nil {
				t.Fatal(err)
			}
			want := broker.Principal{Sub: c.Sub, Livc: c.Livc, Actor: c.Actor, Expires: c.Expires}
			if p != want {
				t.Errorf("principal %+v, want %+v", p, want)
			}
		})
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	edPub := pub(t, ed)
	rs := newKey(t, "RS256", "rs")
	es := newKey(t, "ES256", "es")
	other := newKey(t, "EdDSA", "ed") // same kid, another key
	v, _ := newVerifier(t, writeJWKS(t, edPub, pub(t, rs), pub(t, es)), -1)

	var rawPub ed25519.PublicKey
	if err := jwk.Export(edPub, &rawPub); err != nil {
		t.Fatal(err)
	}
	pubJSON, _ := json.Marshal(edPub)

	// rs signed with its own RSA private key, but as PS256: a valid
	// signature under an algorithm the key is not for.
	psOfRS, err := rs.Clone()
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, psOfRS, jwk.AlgorithmKey, jwa.PS256())

	with := func(f func(*Claims)) Claims { c := good(); f(&c); return c }
	tooLong := strings.Repeat("a", MaxClaimLen+1)

	cases := []struct {
		name string
		raw  string
		want reason
	}{
		{"empty", "", errNoToken},
		{"garbage", "not a token at all", errMalformed},
		{"two segments", "eyJhbGciOiJFZERTQSJ9.e30", errMalformed},
		{"header not json", "bm90anNvbg.e30.AAAA", errMalformed},
		{"oversized", strings.Repeat("A", MaxTokenBytes+1), errTooLarge},
		{"alg none", rawJWS(map[string]any{"alg": "none", "kid": "ed"}, payload(good()), nil), errAlgMismatch},
		{"alg none, no kid", rawJWS(map[string]any{"alg": "none"}, payload(good()), nil), errMissingKid},
		{"HS256 with the raw public key", rawJWS(map[string]any{"alg": "HS256", "kid": "ed"}, payload(good()), hs256(rawPub)), errAlgMismatch},
		{"HS256 with the public JWK", rawJWS(map[string]any{"alg": "HS256", "kid": "ed"}, payload(good()), hs256(pubJSON)), errAlgMismatch},
		{"PS256 by the RS256 key", issue(t, psOfRS, good()), errAlgMismatch},
		{"header alg EdDSA on the ES256 key", rawJWS(map[string]any{"alg": "EdDSA", "kid": "es"}, payload(good()), nil), errAlgMismatch},
		{"unknown kid", issue(t, newKey(t, "EdDSA", "nobody"), good()), errUnknownKid},
		{"no kid in a set of several", rawJWS(map[string]any{"alg": "EdDSA"}, payload(good()), nil), errMissingKid},
		{"signed by another key", issue(t, other, good()), errBadSignature},
		{"payload swapped", swapPayload(t, issue(t, ed, good()), issue(t, ed, with(func(c *Claims) { c.Actor = "mayor" }))), errBadSignature},
		{"signature truncated", strings.TrimRight(issue(t, ed, good()), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")[:40] + ".AAAA", errMalformed},
		{"expired", issue(t, ed, with(func(c *Claims) { c.Expires = t0.Add(-time.Second) })), errExpired},
		{"exp equal to now", issue(t, ed, with(func(c *Claims) { c.Expires = t0 })), errExpired},
		{"expired within the skew", issue(t, ed, with(func(c *Claims) { c.Expires = t0.Add(-5 * time.Second) })), errExpired},
		{"no exp", issue(t, ed, with(func(c *Claims) { c.Expires = time.Time{} })), errNoExp},
		{"nbf in the future", issue(t, ed, with(func(c *Claims) { c.NotBefore = t0.Add(time.Minute) })), errNotYetValid},
		{"iat in the future beyond the skew", issue(t, ed, with(func(c *Claims) { c.IssuedAt = t0.Add(time.Minute) })), errIssuedFuture},
		{"wrong iss", issue(t, ed, with(func(c *Claims) { c.Issuer = "evil" })), errIssuer},
		{"no iss", issue(t, ed, with(func(c *Claims) { c.Issuer = "" })), errIssuer},
		{"wrong aud", issue(t, ed, with(func(c *Claims) { c.Audience = "other-service" })), errAudience},
		{"no aud", issue(t, ed, with(func(c *Claims) { c.Audience = "" })), errAudience},
		{"missing sub", issue(t, ed, with(func(c *Claims) { c.Sub = "" })), errMissingClaim("sub")},
		{"missing livc", issue(t, ed, with(func(c *Claims) { c.Livc = "" })), errMissingClaim("livc")},
		{"missing actor", issue(t, ed, with(func(c *Claims) { c.Actor = "" })), errMissingClaim("actor")},
		{"empty actor", issue(t, ed, with(func(c *Claims) { c.Extra = map[string]any{"actor": ""} })), errMissingClaim("actor")},
		{"livc a number", issue(t, ed, with(func(c *Claims) { c.Extra = map[string]any{"livc": 42} })), errBadClaim("livc")},
		{"actor a list", issue(t, ed, with(func(c *Claims) { c.Extra = map[string]any{"actor": []string{"a", "b"}} })), errBadClaim("actor")},
		{"actor with a control character", issue(t, ed, with(func(c *Claims) { c.Actor = "police\n" })), errBadClaim("actor")},
		{"sub too long", issue(t, ed, with(func(c *Claims) { c.Sub = tooLong })), errBadClaim("sub")},
		{"sub null", rawJWSSigned(t, ed, map[string]any{"sub": nil}), errMalformed},
		{"crit header", signWithHeader(t, ed, "crit", []string{"x-unknown"}), errCritical},
		{"lifetime a second over the maximum", issue(t, ed, with(func(c *Claims) { c.Expires = c.IssuedAt.Add(DefaultMaxLifetime + time.Second) })), errLifetime},
		{"ten years", issue(t, ed, with(func(c *Claims) { c.Expires = t0.Add(10 * 365 * 24 * time.Hour) })), errLifetime},
		{"ten years, no iat", issue(t, ed, with(func(c *Claims) { c.IssuedAt, c.Expires = time.Time{}, t0.Add(10*365*24*time.Hour) })), errLifetime},
		{"iat long ago, exp far ahead", issue(t, ed, with(func(c *Claims) { c.IssuedAt = t0.Add(-DefaultMaxLifetime) })), errLifetime},
		{"actor given twice in the payload", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed"}`, claimsJSON(good(), `,"actor":"mayor"`)), errRepeatedKey},
		{"kid given twice in the header", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed","kid":"ed"}`, claimsJSON(good(), "")), errRepeatedKey},
		{"alg given twice in the header", signRaw(t, ed, `{"alg":"none","kid":"ed","alg":"EdDSA"}`, claimsJSON(good(), "")), errRepeatedKey},
		{"a key repeated in a nested claim", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed"}`, claimsJSON(good(), `,"x":{"a":1,"a":2}`)), errRepeatedKey},
		{"a key repeated under another spelling", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed"}`, claimsJSON(good(), `,"\u0061ctor":"mayor"`)), errRepeatedKey},
		{"payload an array", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed"}`, `[1]`), errMalformed},
		{"payload with trailing data", signRaw(t, ed, `{"alg":"EdDSA","kid":"ed"}`, claimsJSON(good(), "")+"{}"), errMalformed},
		{"b64 header", signWithHeader(t, ed, "b64", true), errCritical},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Authenticate(context.Background(), tc.raw)
			wantRefused(t, err, tc.want, tc.raw)
			if p != (broker.Principal{}) {
				t.Errorf("refusal returned principal %+v", p)
			}
		})
	}
}

func TestAuthenticateAccepts(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	v, _ := newVerifier(t, writeJWKS(t, pub(t, ed)), -1)
	with := func(f func(*Claims)) Claims { c := good(); f(&c); return c }
	cases := []struct {
		name string
		c    Claims
	}{
		{"all claims", good()},
		{"no kid needed with one key", good()}, // issued below without kid
		{"nbf within the skew", with(func(c *Claims) { c.NotBefore = t0.Add(20 * time.Second) })},
		{"iat within the skew", with(func(c *Claims) { c.IssuedAt = t0.Add(20 * time.Second) })},
		{"no nbf, no iat", with(func(c *Claims) { c.NotBefore, c.IssuedAt = time.Time{}, time.Time{} })},
		{"aud list naming the broker", with(func(c *Claims) { c.Extra = map[string]any{"aud": []string{"account", testAud}} })},
		{"non-ASCII printable sub", with(func(c *Claims) { c.Sub = "Zoë Van den Broeck" })},
		{"lifetime exactly the maximum", with(func(c *Claims) { c.Expires = c.IssuedAt.Add(DefaultMaxLifetime) })},
		{"no iat, exp the maximum from now", with(func(c *Claims) { c.IssuedAt, c.Expires = time.Time{}, t0.Add(DefaultMaxLifetime) })},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := ed
			if i == 1 {
				k, err := ed.Clone()
				if err != nil {
					t.Fatal(err)
				}
				if err := k.Remove(jwk.KeyIDKey); err != nil {
					t.Fatal(err)
				}
				key = k
			}
			p, err := v.Authenticate(context.Background(), issue(t, key, tc.c))
			if err != nil {
				t.Fatal(err)
			}
			if p.Sub != tc.c.Sub || p.Livc != testLivc || p.Actor != tc.c.Actor || !p.Expires.Equal(tc.c.Expires) {
				t.Errorf("principal %+v from claims %+v", p, tc.c)
			}
		})
	}
}

func TestAuthenticateOneKeyWrongKid(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	v, _ := newVerifier(t, writeJWKS(t, pub(t, ed)), -1)
	k, _ := ed.Clone()
	mustSet(t, k, jwk.KeyIDKey, "not-ed")
	raw := issue(t, k, good())
	_, err := v.Authenticate(context.Background(), raw)
	wantRefused(t, err, errUnknownKid, raw)
}

// swapPayload returns a's header and signature around b's payload.
func swapPayload(t *testing.T, a, b string) string {
	t.Helper()
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	return pa[0] + "." + pb[1] + "." + pa[2]
}

// rawJWSSigned signs good claims overridden by extra, as raw JSON, so that a
// claim can be null.
func rawJWSSigned(t *testing.T, priv jwk.Key, extra map[string]any) string {
	t.Helper()
	p := payload(good())
	for k, v := range extra {
		p[k] = v
	}
	buf, _ := json.Marshal(p)
	signed, err := jwsSign(buf, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// signWithHeader signs good claims with an extra protected header.
func signWithHeader(t *testing.T, priv jwk.Key, name string, value any) string {
	t.Helper()
	buf, _ := json.Marshal(payload(good()))
	signed, err := jwsSign(buf, priv, map[string]any{name: value})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// signRaw signs header and payload, JSON as given (a key may repeat), with
// the Ed25519 key priv.
func signRaw(t testing.TB, priv jwk.Key, header, payload string) string {
	t.Helper()
	var raw ed25519.PrivateKey
	if err := jwk.Export(priv, &raw); err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return input + "." + enc.EncodeToString(ed25519.Sign(raw, []byte(input)))
}

// claimsJSON is c's payload as JSON, with extra (",\"k\":v" pairs) spliced
// in before the closing brace.
func claimsJSON(c Claims, extra string) string {
	b, _ := json.Marshal(payload(c))
	return strings.TrimSuffix(string(b), "}") + extra + "}"
}

func TestMaxLifetimeConf(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	path := writeJWKS(t, pub(t, ed))
	c := good()
	c.Expires = c.IssuedAt.Add(2 * time.Hour)
	for _, tc := range []struct {
		name string
		max  time.Duration
		want reason
	}{
		{"a two-hour token under a one-hour maximum", time.Hour, errLifetime},
		{"a two-hour token under a two-hour maximum", 2 * time.Hour, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(context.Background(), Conf{JWKS: path, Issuer: testIss, Audience: testAud, MaxLifetime: tc.max, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			raw := issue(t, ed, c)
			_, err = v.Authenticate(context.Background(), raw)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, tc.want, raw)
		})
	}
}
