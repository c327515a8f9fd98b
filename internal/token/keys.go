package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Limits on a JWKS, whatever its source.
const (
	maxJWKSBytes = 1 << 20 // a JWKS file or HTTP body
	maxJWKSKeys  = 64
	// fetchTimeout bounds one fetch of a JWKS URL.
	fetchTimeout = 30 * time.Second
)

// allowedAlgs are the only signature algorithms a key may carry.
var allowedAlgs = []string{"EdDSA", "ES256", "ES384", "RS256", "PS256"}

// verifyKey is one usable key of the set: its algorithm, decided once at
// load, and its raw public key.
type verifyKey struct {
	kid string
	alg jwa.SignatureAlgorithm
	key any // ed25519.PublicKey, *ecdsa.PublicKey or *rsa.PublicKey
}

// keyring is a checked JWKS. A key that stays, unchanged, across refreshes
// keeps its *verifyKey, so that a cached verification can tell whether the
// key it was made with is still in the set (holds).
type keyring struct {
	byKid map[string]*verifyKey
	only  *verifyKey // the key of a one-key set, which a token may name or not
}

// holds reports whether k is a key of the ring, the very one.
func (r *keyring) holds(k *verifyKey) bool {
	return k != nil && (r.only == k || (k.kid != "" && r.byKid[k.kid] == k))
}

// keys returns every key of the ring.
func (r *keyring) keys() []*verifyKey {
	if r.only != nil {
		return []*verifyKey{r.only}
	}
	out := make([]*verifyKey, 0, len(r.byKid))
	for _, k := range r.byKid {
		out = append(out, k)
	}
	return out
}

// find returns the key a token with that kid must verify under.
func (r *keyring) find(kid string) (*verifyKey, error) {
	if kid != "" {
		k, ok := r.byKid[kid]
		if !ok {
			return nil, errUnknownKid
		}
		return k, nil
	}
	if r.only == nil {
		return nil, errMissingKid
	}
	return r.only, nil
}

// checkSet turns a JWKS into a keyring, refusing the whole set if any key is
// not one the broker accepts: a misconfigured set is an operator's mistake
// to see, not a key to skip quietly. A key equal to one of prev (same kid,
// algorithm and public key) is prev's, so that what was verified with it
// stays cached; prev may be nil.
func checkSet(set jwk.Set, prev *keyring) (*keyring, error) {
	n := set.Len()
	if n == 0 {
		return nil, errors.New("token: the JWKS holds no key")
	}
	if n > maxJWKSKeys {
		return nil, fmt.Errorf("token: the JWKS holds %d keys, more than %d", n, maxJWKSKeys)
	}
	r := &keyring{byKid: make(map[string]*verifyKey, n)}
	for i := range n {
		k, _ := set.Key(i)
		vk, err := checkKey(k)
		if err != nil {
			return nil, fmt.Errorf("token: JWKS key #%d: %w", i+1, err)
		}
		vk = prev.same(vk)
		if vk.kid == "" && n > 1 {
			return nil, fmt.Errorf("token: JWKS key #%d has no kid; a set of several keys needs one on each", i+1)
		}
		if vk.kid != "" {
			if _, dup := r.byKid[vk.kid]; dup {
				return nil, fmt.Errorf("token: JWKS key #%d repeats kid %q", i+1, vk.kid)
			}
			r.byKid[vk.kid] = vk
		}
		if n == 1 {
			r.only = vk
		}
	}
	return r, nil
}

// same returns r's key equal to k (kid, algorithm and public key), or k.
func (r *keyring) same(k *verifyKey) *verifyKey {
	if r == nil {
		return k
	}
	old := r.only
	if k.kid != "" {
		old = r.byKid[k.kid]
	}
	if old == nil || old.kid != k.kid || old.alg != k.alg {
		return k
	}
	if eq, ok := old.key.(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(k.key) {
		return old
	}
	return k
}

// checkKey accepts one public signature key and decides its algorithm.
func checkKey(k jwk.Key) (*verifyKey, error) {
	if _, ok := k.(jwk.UnsupportedKey); ok {
		return nil, errors.New("unsupported key type")
	}
	kid, _ := k.KeyID()
	if k.KeyType() == jwa.OctetSeq() {
		return nil, fmt.Errorf("kid %q is a symmetric (oct) key; only public keys may verify tokens", kid)
	}
	if priv, err := jwk.IsPrivateKey(k); err != nil || priv {
		return nil, fmt.Errorf("kid %q is a private key; publish only the public half", kid)
	}
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return nil, fmt.Errorf("kid %q has use %q, not \"sig\"", kid, use)
	}
	if ops, ok := k.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return nil, fmt.Errorf("kid %q has key_ops without \"verify\"", kid)
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("kid %q is not a valid key: %w", kid, err)
	}
	alg, err := keyAlg(k)
	if err != nil {
		return nil, fmt.Errorf("kid %q: %w", kid, err)
	}
	var raw any
	if err := jwk.Export(k, &raw); err != nil {
		return nil, fmt.Errorf("kid %q: %w", kid, err)
	}
	if err := matchAlg(alg, raw); err != nil {
		return nil, fmt.Errorf("kid %q: %w", kid, err)
	}
	sa, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return nil, fmt.Errorf("kid %q: algorithm %q unknown to jwx", kid, alg)
	}
	return &verifyKey{kid: kid, alg: sa, key: raw}, nil
}

// keyAlg returns the key's alg, or infers it where only one algorithm fits.
func keyAlg(k jwk.Key) (string, error) {
	if a, ok := k.Algorithm(); ok && a.String() != "" {
		if !slices.Contains(allowedAlgs, a.String()) {
			return "", fmt.Errorf("algorithm %q is not one of %v", a.String(), allowedAlgs)
		}
		return a.String(), nil
	}
	switch k.KeyType() {
	case jwa.OKP():
		if c, ok := k.(jwk.OKPPublicKey); ok {
			if crv, _ := c.Crv(); crv == jwa.Ed25519() {
				return "EdDSA", nil
			}
		}
	case jwa.EC():
		if c, ok := k.(jwk.ECDSAPublicKey); ok {
			switch crv, _ := c.Crv(); crv {
			case jwa.P256():
				return "ES256", nil
			case jwa.P384():
				return "ES384", nil
			}
		}
	case jwa.RSA():
		return "", errors.New("RSA key without alg: RS256 and PS256 both fit, so set alg in the JWKS")
	}
	return "", errors.New("key without alg whose algorithm cannot be inferred (only Ed25519, P-256 and P-384 keys can)")
}

// matchAlg checks that the raw key is of the kind and size alg needs, so that
// a key labelled ES256 on a P-384 curve is refused at load, not at use.
func matchAlg(alg string, raw any) error {
	ok := false
	switch key := raw.(type) {
	case ed25519.PublicKey:
		ok = alg == "EdDSA"
	case *ecdsa.PublicKey:
		ok = (alg == "ES256" && key.Curve.Params().Name == "P-256") ||
			(alg == "ES384" && key.Curve.Params().Name == "P-384")
	case *rsa.PublicKey:
		ok = alg == "RS256" || alg == "PS256"
	}
	if !ok {
		return fmt.Errorf("algorithm %q does not fit a %T key", alg, raw)
	}
	return nil
}

// loadSet reads the JWKS named by jwks: a file, or an http(s) URL fetched
// within fetchTimeout. It only parses; checkSet decides whether the set is
// usable. Errors name the file or URL and the cause, never key material.
func loadSet(ctx context.Context, jwks string) (jwk.Set, error) {
	parseOpts := []jwk.ParseOption{jwk.WithMaxKeys(maxJWKSKeys), jwk.WithRejectDuplicateKID(true)}
	var buf []byte
	var err error
	if isURL(jwks) {
		buf, err = fetch(ctx, jwks)
	} else {
		buf, err = readLimited(jwks)
	}
	if err != nil {
		return nil, err
	}
	set, err := jwk.Parse(buf, parseOpts...)
	if err != nil {
		return nil, fmt.Errorf("token: %s: %w", jwksName(jwks), err)
	}
	return set, nil
}

// jwksName names the JWKS for an error: "JWKS file PATH" or "JWKS URL URL".
func jwksName(jwks string) string {
	if isURL(jwks) {
		return "JWKS URL " + jwks
	}
	return "JWKS file " + jwks
}

// fetch GETs a JWKS URL, at most maxJWKSBytes of it, without following a
// redirect (the URL was checked for https; a redirect could leave it).
func fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS URL %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS URL %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token: JWKS URL %s: status %d", url, resp.StatusCode)
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("token: JWKS URL %s: %w", url, err)
	}
	if len(buf) > maxJWKSBytes {
		return nil, fmt.Errorf("token: JWKS URL %s answers more than %d bytes", url, maxJWKSBytes)
	}
	return buf, nil
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("token: JWKS file %s: %w", path, err)
	}
	if len(buf) > maxJWKSBytes {
		return nil, fmt.Errorf("token: JWKS file %s is larger than %d bytes", path, maxJWKSBytes)
	}
	return buf, nil
}
