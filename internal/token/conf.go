package token

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults of Conf.
const (
	DefaultSkew      = 30 * time.Second
	DefaultCacheSize = 10000

	// MaxSkew bounds Conf.Skew: a larger tolerance would stop nbf and iat
	// from meaning anything.
	MaxSkew = 5 * time.Minute
)

// Conf configures a Verifier.
type Conf struct {
	// JWKS is the path of a JWKS file, or an http(s) URL that is fetched
	// and refreshed in the background. Plain http is accepted only for a
	// loopback host: anyone on the path could otherwise swap the keys.
	JWKS string
	// Issuer and Audience are the required iss and aud of every token.
	Issuer, Audience string
	// Skew is the clock tolerance for nbf and iat; 0 means DefaultSkew.
	// exp gets no tolerance.
	Skew time.Duration
	// CacheSize bounds the cache of verified tokens; 0 means
	// DefaultCacheSize and a negative value disables the cache.
	CacheSize int
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Conf) WithDefaults() Conf {
	if c.Skew == 0 {
		c.Skew = DefaultSkew
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first setting that cannot work. It does not read the
// JWKS; New does.
func (c Conf) Validate() error {
	var errs []error
	if strings.TrimSpace(c.JWKS) == "" {
		errs = append(errs, errors.New("token: JWKS is required (a file path or an https URL)"))
	} else if isURL(c.JWKS) {
		if err := checkJWKSURL(c.JWKS); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Issuer == "" {
		errs = append(errs, errors.New("token: Issuer is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("token: Audience is required"))
	}
	if c.Skew < 0 || c.Skew > MaxSkew {
		errs = append(errs, fmt.Errorf("token: Skew %s is outside 0..%s", c.Skew, MaxSkew))
	}
	return errors.Join(errs...)
}

// isURL reports whether the JWKS setting names a URL rather than a file.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("token: JWKS URL is not a valid http(s) URL")
	}
	if u.User != nil {
		return errors.New("token: JWKS URL must not carry credentials")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("token: JWKS URL must use https (plain http only for a loopback host, not %q)", u.Hostname())
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
