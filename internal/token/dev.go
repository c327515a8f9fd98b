package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/livc/livc-broker/internal/atomicfile"
)

// Files WriteDevSet writes under its directory.
const (
	devKeyFile   = "signing-key.jwk"
	devJWKSFile  = "jwks.json"
	devTokensDir = "tokens"
)

// Claims are the claims Issue puts in a token. Empty strings and zero times
// are left out, so that tests can make a token without exp or without actor.
// Extra is set last and may override any of them (a test can give livc a
// number).
type Claims struct {
	Sub, Livc, Actor, Issuer, Audience string
	IssuedAt, NotBefore, Expires       time.Time
	Extra                              map[string]any
}

// GenerateDevKey returns a fresh Ed25519 signing key (alg EdDSA, use sig,
// with kid) and the set holding its public half. It is for development and
// tests: production keys belong to the identity provider.
func GenerateDevKey(kid string) (priv jwk.Key, set jwk.Set, err error) {
	if kid == "" {
		return nil, nil, errors.New("token: a dev key needs a kid")
	}
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	priv, err = jwk.Import(raw)
	if err != nil {
		return nil, nil, err
	}
	for name, val := range map[string]any{
		jwk.KeyIDKey: kid, jwk.AlgorithmKey: jwa.EdDSA(), jwk.KeyUsageKey: jwk.ForSignature,
	} {
		if err := priv.Set(name, val); err != nil {
			return nil, nil, err
		}
	}
	set, err = publicSet(priv)
	if err != nil {
		return nil, nil, err
	}
	return priv, set, nil
}

// publicSet returns the one-key JWKS of priv's public half.
func publicSet(priv jwk.Key) (jwk.Set, error) {
	pub, err := priv.PublicKey()
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, err
	}
	return set, nil
}

// Issue signs a token with c's claims under priv, with priv's alg and kid.
func Issue(priv jwk.Key, c Claims) (string, error) {
	alg, ok := priv.Algorithm()
	if !ok {
		return "", errors.New("token: the signing key has no alg")
	}
	tok := jwt.New()
	var err error
	set := func(name string, v any) {
		if err == nil {
			err = tok.Set(name, v)
		}
	}
	for name, v := range map[string]string{
		jwt.SubjectKey: c.Sub, "livc": c.Livc, "actor": c.Actor,
		jwt.IssuerKey: c.Issuer, jwt.AudienceKey: c.Audience,
	} {
		if v != "" {
			set(name, v)
		}
	}
	for name, v := range map[string]time.Time{
		jwt.IssuedAtKey: c.IssuedAt, jwt.NotBeforeKey: c.NotBefore, jwt.ExpirationKey: c.Expires,
	} {
		if !v.IsZero() {
			set(name, v)
		}
	}
	for name, v := range c.Extra {
		set(name, v)
	}
	if err != nil {
		return "", fmt.Errorf("token: claims: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, priv))
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return string(signed), nil
}

// actorID is what an actor id may look like to become a file name.
var actorID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// DevJWKSPath is where WriteDevSet puts the JWKS under dir.
func DevJWKSPath(dir string) string { return filepath.Join(dir, devJWKSFile) }

// WriteDevSet writes, under dir, a dev signing key (signing-key.jwk, 0600),
// its JWKS (jwks.json, 0644) and one token per actor (tokens/<actor>.jwt,
// 0600) for livc with sub "<actor>-dev", valid for ttl from now. An existing
// signing key in dir is reused, so tokens can be issued again without
// changing the JWKS a running broker trusts.
func WriteDevSet(dir string, livc string, actors []string, issuer, audience string, ttl time.Duration) error {
	switch {
	case livc == "" || issuer == "" || audience == "":
		return errors.New("token: dev set needs a livc, an issuer and an audience")
	case len(actors) == 0:
		return errors.New("token: dev set needs at least one actor")
	case ttl <= 0:
		return errors.New("token: dev set needs a positive ttl")
	}
	for _, a := range actors {
		if !actorID.MatchString(a) {
			return fmt.Errorf("token: actor id %q cannot name a token file", a)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, devTokensDir), 0o700); err != nil {
		return err
	}
	priv, err := devKey(dir)
	if err != nil {
		return err
	}
	set, err := publicSet(priv)
	if err != nil {
		return err
	}
	jwks, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(DevJWKSPath(dir), append(jwks, '\n'), 0o644); err != nil {
		return err
	}
	now := time.Now().Truncate(time.Second)
	for _, a := range actors {
		tok, err := Issue(priv, Claims{
			Sub: a + "-dev", Livc: livc, Actor: a, Issuer: issuer, Audience: audience,
			IssuedAt: now, Expires: now.Add(ttl),
		})
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, devTokensDir, a+".jwt"), []byte(tok), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// devKey returns the signing key in dir, making and saving one if none.
func devKey(dir string) (jwk.Key, error) {
	path := filepath.Join(dir, devKeyFile)
	buf, err := os.ReadFile(path)
	switch {
	case err == nil:
		return loadDevKey(path, buf)
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	kid, err := newKid()
	if err != nil {
		return nil, err
	}
	priv, _, err := GenerateDevKey(kid)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(priv, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(path, append(out, '\n'), 0o600); err != nil {
		return nil, err
	}
	return priv, nil
}

// loadDevKey accepts only what GenerateDevKey makes: a private Ed25519 key
// with alg EdDSA and a kid.
func loadDevKey(path string, buf []byte) (jwk.Key, error) {
	k, err := jwk.ParseKey(buf)
	if err != nil {
		return nil, fmt.Errorf("token: %s: %w", path, err)
	}
	var raw ed25519.PrivateKey
	if err := jwk.Export(k, &raw); err != nil {
		return nil, fmt.Errorf("token: %s is not an Ed25519 private key", path)
	}
	alg, _ := k.Algorithm()
	kid, _ := k.KeyID()
	if alg != jwa.EdDSA() || kid == "" {
		return nil, fmt.Errorf("token: %s needs alg EdDSA and a kid", path)
	}
	return k, nil
}

func newKid() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "livc-dev-" + hex.EncodeToString(b[:]), nil
}

// writeFile replaces path atomically with data and mode, whatever the mode
// of a file it replaces.
func writeFile(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
