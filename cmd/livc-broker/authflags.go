package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/internal/ratelimit"
	"github.com/livc/livc-broker/internal/token"
)

// defaultAudience is the aud tokens must name when no --audience is given.
const defaultAudience = "livc-broker"

// tokenFlags registers the flags of what an access token must carry: its
// accepted audiences and the names of the claims of its principal. The
// returned function reads them once fs is parsed, and, when the keys come
// from --oidc-issuer (no --jwks), makes that issuer the required iss; an
// --issuer that says otherwise is a mistake, refused.
func (c *serveConf) tokenFlags(fs *flag.FlagSet) func() error {
	var auds multiFlag
	fs.Var(&auds, "audience", "an accepted `aud` of tokens: a token must name at least one; repeat for several (env LIVC_AUDIENCE, comma-separated). Default "+defaultAudience)
	d := token.DefaultClaims
	fs.StringVar(&c.Claims.Sub, "claim-sub", envOr("LIVC_CLAIM_SUB", d.Sub), "`NAME` of the token's claim that says who the person is (the audit log's sub); a dotted name reads a nested claim when the token has none of that very name (env LIVC_CLAIM_SUB)")
	fs.StringVar(&c.Claims.Livc, "claim-livc", envOr("LIVC_CLAIM_LIVC", d.Livc), "`NAME` of the token's claim that carries the person's cell, dotted for a nested claim (env LIVC_CLAIM_LIVC)")
	fs.StringVar(&c.Claims.Actor, "claim-actor", envOr("LIVC_CLAIM_ACTOR", d.Actor), "`NAME` of the token's claim that carries the person's actor, dotted for a nested claim (env LIVC_CLAIM_ACTOR)")
	return func() error {
		c.Audiences = auds
		if len(c.Audiences) == 0 {
			c.Audiences = []string{defaultAudience}
			if v := envOr("LIVC_AUDIENCE", ""); v != "" {
				c.Audiences = strings.Split(v, ",")
			}
		}
		for i, a := range c.Audiences {
			if c.Audiences[i] = strings.TrimSpace(a); c.Audiences[i] == "" {
				return fmt.Errorf("--audience must not be empty")
			}
		}
		for _, n := range []string{c.Claims.Sub, c.Claims.Livc, c.Claims.Actor} {
			if strings.TrimSpace(n) == "" {
				return fmt.Errorf("--claim-sub, --claim-livc and --claim-actor must name claims")
			}
		}
		if c.JWKS != "" || c.Web.OIDCIssuer == "" {
			return nil
		}
		_, inEnv := os.LookupEnv("LIVC_ISSUER")
		given := inEnv
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "issuer" })
		if given && c.Issuer != c.Web.OIDCIssuer {
			return fmt.Errorf("--issuer %q differs from --oidc-issuer %q, whose keys verify the tokens: give one, or the same", c.Issuer, c.Web.OIDCIssuer)
		}
		c.Issuer = c.Web.OIDCIssuer
		return nil
	}
}

// devTokens reports whether the broker accepts the development key's
// tokens: when neither --jwks nor --oidc-issuer names the real keys.
func (c *serveConf) devTokens() bool { return c.JWKS == "" && c.Web.OIDCIssuer == "" }

// authFailFlags registers the flags that bound the audit of refused logins
// (ratelimit.AuthFailLimit) and the proxies trusted to name the client, and
// returns a function that reads them once fs is parsed.
func (l *limitsConf) authFailFlags(fs *flag.FlagSet) func() error {
	d := ratelimit.DefaultAuthFailLimit()
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	rate := fs.String("auth-fail-rate", envOr("LIVC_AUTH_FAIL_RATE", num(d.PerSecond)), "refused logins (401) per second of one client audited one by one, after its --auth-fail-burst; past it they are only counted, and summed up in the broker's log once per --auth-fail-window (env LIVC_AUTH_FAIL_RATE)")
	burst := fs.String("auth-fail-burst", envOr("LIVC_AUTH_FAIL_BURST", strconv.Itoa(d.Burst)), "refused logins of one client audited one by one at once before --auth-fail-rate applies (env LIVC_AUTH_FAIL_BURST)")
	total := fs.String("auth-fail-total-rate", envOr("LIVC_AUTH_FAIL_TOTAL_RATE", num(d.TotalPerSecond)), "refused logins per second of all clients together audited one by one, after --auth-fail-total-burst: the most a flood of bad tokens from any number of addresses adds to the broker's log (env LIVC_AUTH_FAIL_TOTAL_RATE)")
	totalBurst := fs.String("auth-fail-total-burst", envOr("LIVC_AUTH_FAIL_TOTAL_BURST", strconv.Itoa(d.TotalBurst)), "refused logins of all clients audited one by one at once before --auth-fail-total-rate applies (env LIVC_AUTH_FAIL_TOTAL_BURST)")
	clients := fs.String("auth-fail-clients", envOr("LIVC_AUTH_FAIL_CLIENTS", strconv.Itoa(d.Clients)), "clients whose refused logins are tracked at once, about 200 bytes each; past it idle ones are forgotten first (env LIVC_AUTH_FAIL_CLIENTS)")
	window := fs.String("auth-fail-window", envOr("LIVC_AUTH_FAIL_WINDOW", d.Window.String()), "`DURATION` between the summaries of refused logins counted and not logged: one entry per client, the 20 with most, then one for the rest (env LIVC_AUTH_FAIL_WINDOW)")
	prefix := fs.String("auth-fail-ipv6-prefix", envOr("LIVC_AUTH_FAIL_IPV6_PREFIX", strconv.Itoa(d.IPv6Prefix)), "leading `BITS` of an IPv6 address that make one client, from 32 to 128 (env LIVC_AUTH_FAIL_IPV6_PREFIX)")
	proxies := fs.String("trusted-proxies", envOr("LIVC_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR networks of the reverse proxies whose X-Forwarded-For names the client; default none: the client is the peer (env LIVC_TRUSTED_PROXIES)")
	return func() error {
		a := d
		var err error
		for _, f := range []struct {
			name, raw string
			dst       *float64
		}{{"auth-fail-rate", *rate, &a.PerSecond}, {"auth-fail-total-rate", *total, &a.TotalPerSecond}} {
			if *f.dst, err = strconv.ParseFloat(f.raw, 64); err != nil || *f.dst <= 0 {
				return fmt.Errorf("--%s must be a positive number per second, got %q", f.name, f.raw)
			}
		}
		for _, f := range []struct {
			name, raw string
			dst       *int
		}{{"auth-fail-burst", *burst, &a.Burst}, {"auth-fail-total-burst", *totalBurst, &a.TotalBurst},
			{"auth-fail-clients", *clients, &a.Clients}, {"auth-fail-ipv6-prefix", *prefix, &a.IPv6Prefix}} {
			if *f.dst, err = strconv.Atoi(f.raw); err != nil || *f.dst <= 0 {
				return fmt.Errorf("--%s must be a positive whole number, got %q", f.name, f.raw)
			}
		}
		if a.Window, err = time.ParseDuration(*window); err != nil {
			return fmt.Errorf("--auth-fail-window must be a duration, got %q", *window)
		}
		if err := a.Validate(); err != nil {
			return fmt.Errorf("--auth-fail-*: %w", err)
		}
		l.AuthFailures = a
		l.TrustedProxies, err = parseProxies(*proxies)
		return err
	}
}

// parseProxies reads the comma-separated addresses and networks of
// --trusted-proxies.
func parseProxies(s string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR network", p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
