package token

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/livc/livc-broker/internal/loopback"
)

// Defaults of Conf.
const (
	DefaultSkew      = 30 * time.Second
	DefaultCacheSize = 10000
	// DefaultMaxLifetime bounds how long any token may be good for: an
	// identity provider's slip (or a stolen signing key's ten-year token)
	// cannot outlast a working day.
	DefaultMaxLifetime = 12 * time.Hour
	// DefaultRefresh is how often the JWKS is read again, so that a key
	// the identity provider withdraws stops verifying within minutes.
	DefaultRefresh = 5 * time.Minute

	// MaxMaxLifetime bounds Conf.MaxLifetime.
	MaxMaxLifetime = 30 * 24 * time.Hour
	// MinRefresh bounds Conf.Refresh from below: a JWKS URL is somebody
	// else's server.
	MinRefresh = time.Second

	// MaxSkew bounds Conf.Skew: a larger tolerance would stop nbf and iat
	// from meaning anything.
	MaxSkew = 5 * time.Minute
)

// Conf configures a Verifier.
type Conf struct {
	// JWKS is the path of a JWKS file, or an http(s) URL, read at New and
	// again every Refresh and on Verifier.Refresh. Plain http is accepted
	// only for a loopback host: anyone on the path could otherwise swap the
	// keys.
	JWKS string
	// Issuer is the required iss of every token.
	Issuer string
	// Audience and Audiences are the accepted audiences: a token's aud
	// must name at least one of them. Either may be empty, not both.
	Audience  string
	Audiences []string
	// Claims names the claims that carry sub, livc and actor; an empty
	// name is DefaultClaims'.
	Claims ClaimNames
	// Skew is the clock tolerance for nbf and iat; 0 means DefaultSkew.
	// exp gets no tolerance.
	Skew time.Duration
	// CacheSize bounds the cache of verified tokens; 0 means
	// DefaultCacheSize and a negative value disables the cache.
	CacheSize int
	// MaxLifetime is the longest a token may be good for: exp - iat, or,
	// for a token without iat, exp - now (so such a token is accepted only
	// within MaxLifetime of its exp). 0 means DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Refresh is how often the JWKS (file or URL) is read again in the
	// background; 0 means DefaultRefresh, a negative value turns the timer
	// off (Verifier.Refresh still works, for SIGHUP).
	Refresh time.Duration
	// OnRefresh, when set, is told the outcome of every background
	// refresh, so that the caller can log it; it must not block.
	OnRefresh func(RefreshReport, error)
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
	if c.MaxLifetime == 0 {
		c.MaxLifetime = DefaultMaxLifetime
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Claims = c.Claims.withDefaults()
	return c
}

// accepted is every accepted audience.
func (c Conf) accepted() []string {
	if c.Audience == "" {
		return c.Audiences
	}
	return append([]string{c.Audience}, c.Audiences...)
}

// Validate reports the first setting that cannot work. It does not read the
// JWKS; New does.
func (c Conf) Validate() error {
	var errs []error
	if strings.TrimSpace(c.JWKS) == "" {
		errs = append(errs, errors.New("token: JWKS is required (a file path or an https URL)"))
	} else if isURL(c.JWKS) {
		if err := checkURL("JWKS URL", c.JWKS); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Issuer == "" {
		errs = append(errs, errors.New("token: Issuer is required"))
	}
	if len(c.accepted()) == 0 || slices.Contains(c.accepted(), "") {
		errs = append(errs, errors.New("token: Audience is required, and no audience may be empty"))
	}
	if err := c.Claims.withDefaults().validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Skew < 0 || c.Skew > MaxSkew {
		errs = append(errs, fmt.Errorf("token: Skew %s is outside 0..%s", c.Skew, MaxSkew))
	}
	if c.MaxLifetime < time.Minute || c.MaxLifetime > MaxMaxLifetime {
		errs = append(errs, fmt.Errorf("token: MaxLifetime %s is outside 1m..%s", c.MaxLifetime, MaxMaxLifetime))
	}
	if c.Refresh > 0 && c.Refresh < MinRefresh {
		errs = append(errs, fmt.Errorf("token: Refresh %s is shorter than %s", c.Refresh, MinRefresh))
	}
	return errors.Join(errs...)
}

// isURL reports whether the JWKS setting names a URL rather than a file.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// checkURL refuses a URL the broker would fetch keys through that anyone on
// the path could answer: what names it in the error.
func checkURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || !isURL(s) {
		return fmt.Errorf("token: %s is not a valid http(s) URL", what)
	}
	if u.User != nil {
		return fmt.Errorf("token: %s must not carry credentials", what)
	}
	if u.Scheme == "http" && !loopback.Host(u.Hostname()) {
		return fmt.Errorf("token: %s must use https (plain http only for a loopback host, not %q)", what, u.Hostname())
	}
	return nil
}
