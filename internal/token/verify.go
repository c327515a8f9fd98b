package token

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/livc/livc-broker/broker"
)

// Limits on what a token may hold.
const (
	// MaxTokenBytes is the largest raw token Authenticate parses.
	MaxTokenBytes = 8 << 10
	// MaxClaimLen bounds sub, livc and actor, in bytes.
	MaxClaimLen = 256
)

// Verifier authenticates access tokens against a JWKS. It is safe for
// concurrent use.
type Verifier struct {
	conf    Conf
	ring    atomic.Pointer[keyring]
	refresh sync.Mutex // serialises Refresh
	cache   *verified  // nil when disabled
	stop    func()     // ends the background refresh
}

var _ broker.Authenticator = (*Verifier)(nil)

// New validates c, loads the JWKS and returns a Verifier. It refuses a set
// holding a symmetric or private key, a key whose algorithm is not EdDSA,
// ES256, ES384, RS256 or PS256, or an RSA key without alg; a JWKS URL that
// cannot be fetched is reported with its cause. Unless c.Refresh is
// negative, the JWKS is then read again every c.Refresh until ctx is done
// or Close is called (see Refresh).
func New(ctx context.Context, c Conf) (*Verifier, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	set, err := loadSet(ctx, c.JWKS)
	if err != nil {
		return nil, err
	}
	ring, err := checkSet(set, nil)
	if err != nil {
		return nil, err
	}
	v := &Verifier{conf: c, cache: newVerified(c.CacheSize, c.Now), stop: func() {}}
	v.ring.Store(ring)
	if c.Refresh > 0 {
		v.stop = v.every(ctx, c.Refresh)
	}
	return v, nil
}

// Authenticate verifies raw and returns who it names. It accepts only a
// compact JWS whose header and payload are JSON objects without a repeated
// key, whose header alg equals its key's alg, under the key named by kid
// (kid may be omitted only when the set has one key), with exp in the
// future and at most Conf.MaxLifetime after iat (after now, without iat),
// nbf and iat no later than now plus the skew, iss equal to the configured
// issuer, aud naming one of the configured audiences, and non-empty
// printable strings of at most MaxClaimLen bytes in the claims Conf.Claims
// names for sub, livc and actor. Every
// refusal is a broker.Error of kind KindUnauthenticated whose cause is a
// short reason without token material.
//
// A token once accepted is remembered (by its SHA-256) until its exp, at
// most MaxLifetime, and only while the key that verified it stays in the
// JWKS: once a refresh removes that key, the token is verified again, and
// refused. ctx is unused: verification does no I/O.
func (v *Verifier) Authenticate(_ context.Context, raw string) (broker.Principal, error) {
	if raw == "" {
		return broker.Principal{}, refuse(errNoToken)
	}
	if len(raw) > MaxTokenBytes {
		return broker.Principal{}, refuse(errTooLarge)
	}
	now := v.conf.Now()
	ring := v.ring.Load()
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = sha256.Sum256([]byte(raw))
		if p, ok := v.cache.get(sum, now, ring); ok {
			return p, nil
		}
	}
	p, key, err := v.verify(raw, now, ring)
	if err != nil {
		var r reason
		if !errors.As(err, &r) {
			r = errMalformed
		}
		return broker.Principal{}, refuse(r)
	}
	if v.cache != nil {
		v.cache.put(sum, cached{p: p, key: key, end: minTime(p.Expires, now.Add(v.conf.MaxLifetime))})
	}
	return p, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// verify does the work of Authenticate under ring, and returns the key that
// verified the token; its errors are all reasons.
func (v *Verifier) verify(raw string, now time.Time, ring *keyring) (broker.Principal, *verifyKey, error) {
	if err := checkSegments(raw); err != nil {
		return broker.Principal{}, nil, err
	}
	kid, alg, err := peekHeader(raw)
	if err != nil {
		return broker.Principal{}, nil, err
	}
	key, err := ring.find(kid)
	if err != nil {
		return broker.Principal{}, nil, err
	}
	// The key decides the algorithm; a header that says otherwise ("none",
	// HS256 over the public key, another signature scheme) is refused here,
	// before any cryptography.
	if alg != key.alg.String() {
		return broker.Principal{}, nil, errAlgMismatch
	}
	p, err := v.claims(raw, now, key)
	return p, key, err
}

// claims verifies raw's signature under key and checks its claims.
func (v *Verifier) claims(raw string, now time.Time, key *verifyKey) (broker.Principal, error) {
	tok, err := jwt.ParseString(raw,
		// WithKey alone selects jwx's fast compact path; adding WithContext
		// would leave it (and one signature needs no deadline checks).
		jwt.WithKey(key.alg, key.key),
		jwt.WithStrictStringClaims(true),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithAcceptableSkew(v.conf.Skew),
		jwt.WithTruncation(0),
		jwt.WithIssuer(v.conf.Issuer),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	)
	if err != nil {
		return broker.Principal{}, classify(err)
	}
	// jwx grants exp the skew too; the broker does not, so that a cached
	// entry and a fresh verification agree on when a token ends.
	exp, ok := tok.Expiration()
	if !ok {
		return broker.Principal{}, errNoExp
	}
	if !now.Before(exp) {
		return broker.Principal{}, errExpired
	}
	// A token without iat is judged by what is left of it: it is accepted
	// only within MaxLifetime of its exp.
	from := now
	if iat, ok := tok.IssuedAt(); ok {
		from = iat
	}
	if exp.Sub(from) > v.conf.MaxLifetime {
		return broker.Principal{}, errLifetime
	}
	if !v.audienceOK(tok) {
		return broker.Principal{}, errAudience
	}
	p := broker.Principal{Expires: exp}
	names := v.conf.Claims
	if p.Sub, err = stringClaim(tok, names.Sub); err != nil {
		return broker.Principal{}, err
	}
	if p.Livc, err = stringClaim(tok, names.Livc); err != nil {
		return broker.Principal{}, err
	}
	if p.Actor, err = stringClaim(tok, names.Actor); err != nil {
		return broker.Principal{}, err
	}
	return p, nil
}

// audienceOK reports whether tok's aud names one of the accepted
// audiences. jwx would require every audience it is given, not one of them.
func (v *Verifier) audienceOK(tok jwt.Token) bool {
	aud, _ := tok.Audience()
	for _, a := range aud {
		if slices.Contains(v.conf.accepted(), a) {
			return true
		}
	}
	return false
}

// Close stops the background refresh; tokens are then checked against the
// last set read.
func (v *Verifier) Close() { v.stop() }

// peekHeader reads kid and alg from the protected header of a compact JWS,
// without trusting either: they only select a key and are checked against it.
func peekHeader(raw string) (kid, alg string, err error) {
	hdr, _, _, err := jwsbb.SplitCompactString(raw)
	if err != nil {
		return "", "", errMalformed
	}
	h := jwsbb.HeaderParseCompact(hdr)
	// The broker understands no JWS extension, so a token that marks one
	// critical, or changes the payload encoding, is refused (RFC 7515
	// 4.1.11). jwx alone would not refuse "crit" on every path.
	if jwsbb.HeaderHas(h, jws.CriticalKey) || jwsbb.HeaderHas(h, "b64") {
		return "", "", errCritical
	}
	alg, err = jwsbb.HeaderGetString(h, jws.AlgorithmKey)
	if err != nil {
		return "", "", errMalformed
	}
	kid, err = jwsbb.HeaderGetString(h, jws.KeyIDKey)
	if err != nil && !errors.Is(err, jwsbb.ErrHeaderNotFound()) {
		return "", "", errMalformed
	}
	return kid, alg, nil
}

// classify maps a jwx error to a reason. Validation runs only after the
// signature verified, so a claim reason is never given for a forged token.
func classify(err error) reason {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return errExpired
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return errNotYetValid
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return errIssuedFuture
	case errors.Is(err, jwt.InvalidIssuerError()):
		return errIssuer
	case errors.Is(err, jwt.InvalidAudienceError()):
		return errAudience
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return errNoExp
	case errors.Is(err, jws.VerificationError()), errors.Is(err, jws.VerifyError()):
		return errBadSignature
	}
	return errMalformed
}

// sane reports whether s is valid UTF-8 of printable characters, at most
// MaxClaimLen bytes: safe to log and to compare.
func sane(s string) bool {
	if len(s) > MaxClaimLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
