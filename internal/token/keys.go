package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Limits on a JWKS, whatever its source.
const (
	maxJWKSBytes = 1 << 20 // a JWKS file or HTTP body
	maxJWKSKeys  = 64
	// minRefresh bounds how often a JWKS URL is fetched again.
	minRefresh = 5 * time.Minute
	// fetchTimeout bounds the first fetch of a JWKS URL in New.
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

// keyring is a checked JWKS. err is set when the set was refused (only after
// a refresh of a URL; New refuses a bad set outright).
type keyring struct {
	src   jwk.Set
	byKid map[string]*verifyKey
	only  *verifyKey // the key of a one-key set, which a token may name or not
	err   error
}

// find returns the key a token with that kid must verify under.
func (r *keyring) find(kid string) (*verifyKey, error) {
	if r.err != nil {
		return nil, errKeySet
	}
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
// to see at start, not a key to skip quietly.
func checkSet(set jwk.Set) (*keyring, error) {
	n := set.Len()
	if n == 0 {
		return nil, errors.New("token: the JWKS holds no key")
	}
	if n > maxJWKSKeys {
		return nil, fmt.Errorf("token: the JWKS holds %d keys, more than %d", n, maxJWKSKeys)
	}
	r := &keyring{src: set, byKid: make(map[string]*verifyKey, n)}
	for i := range n {
		k, _ := set.Key(i)
		vk, err := checkKey(k)
		if err != nil {
			return nil, fmt.Errorf("token: JWKS key #%d: %w", i+1, err)
		}
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

// keySource yields the current key set.
type keySource interface {
	// current returns the set now in force; it may change between calls.
	current() jwk.Set
}

type staticSource struct{ set jwk.Set }

func (s staticSource) current() jwk.Set { return s.set }

// remoteSource is a JWKS URL kept fresh by jwx's cache.
type remoteSource struct {
	res interface{ Resource() jwk.Set }
}

func (s remoteSource) current() jwk.Set { return s.res.Resource() }

// openSource loads the JWKS named by c.JWKS. A URL is fetched once, so that
// a bad URL or set is reported at once with its cause, then handed to jwx's
// cache, which refreshes it in the background until ctx is done or stop is
// called.
func openSource(ctx context.Context, c Conf) (src keySource, set jwk.Set, stop func(), err error) {
	parseOpts := []jwk.ParseOption{jwk.WithMaxKeys(maxJWKSKeys), jwk.WithRejectDuplicateKID(true)}
	if !isURL(c.JWKS) {
		buf, err := readLimited(c.JWKS)
		if err != nil {
			return nil, nil, nil, err
		}
		set, err := jwk.Parse(buf, parseOpts...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("token: JWKS file %s: %w", c.JWKS, err)
		}
		return staticSource{set}, set, func() {}, nil
	}
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	first, err := jwk.Fetch(fctx, c.JWKS, jwk.WithMaxFetchBodySize(maxJWKSBytes))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("token: JWKS URL %s: %w", c.JWKS, err)
	}
	if _, err := checkSet(first); err != nil {
		return nil, nil, nil, err
	}
	cctx, stop := context.WithCancel(ctx)
	src, set, err = register(cctx, fctx, c.JWKS, parseOpts)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return src, set, stop, nil
}

// register hands url to a jwx cache living as long as life, waiting (at most
// as long as wait) for its first fetch.
func register(life, wait context.Context, url string, parseOpts []jwk.ParseOption) (keySource, jwk.Set, error) {
	cache, err := jwk.NewCache(life, httprc.NewClient())
	if err != nil {
		return nil, nil, fmt.Errorf("token: JWKS cache: %w", err)
	}
	opts := []jwk.RegisterOption{jwk.WithMinInterval(minRefresh), jwk.WithMaxFetchBodySize(maxJWKSBytes)}
	for _, o := range parseOpts {
		opts = append(opts, o)
	}
	if err := cache.Register(wait, url, opts...); err != nil {
		return nil, nil, fmt.Errorf("token: JWKS URL %s: %w", url, err)
	}
	res, err := cache.LookupResource(wait, url)
	if err != nil {
		return nil, nil, fmt.Errorf("token: JWKS URL %s: %w", url, err)
	}
	set := res.Resource()
	if set == nil {
		return nil, nil, fmt.Errorf("token: JWKS URL %s: no key set could be fetched", url)
	}
	return remoteSource{res}, set, nil
}

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
