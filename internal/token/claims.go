package token

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// ClaimNames names the claims a token carries its principal in. A name is a
// claim of the payload ("livc"), or, when the payload has no claim of that
// very name, a dotted path into nested objects ("livc_broker.actor" reads
// {"livc_broker":{"actor":…}}). A name with a dot is thus first taken
// whole, so that a namespaced claim ("https://idp.example/actor") works.
type ClaimNames struct {
	Sub, Livc, Actor string
}

// DefaultClaims are the names the broker reads when Conf.Claims leaves one
// empty.
var DefaultClaims = ClaimNames{Sub: "sub", Livc: "livc", Actor: "actor"}

// maxClaimPath bounds the segments of a dotted claim name.
const maxClaimPath = 8

func (c ClaimNames) withDefaults() ClaimNames {
	if c.Sub == "" {
		c.Sub = DefaultClaims.Sub
	}
	if c.Livc == "" {
		c.Livc = DefaultClaims.Livc
	}
	if c.Actor == "" {
		c.Actor = DefaultClaims.Actor
	}
	return c
}

// validate refuses a name that no token could carry: one with an empty
// segment, too deep a path, or characters outside printable ASCII.
func (c ClaimNames) validate() error {
	var errs []error
	for _, n := range []struct{ what, name string }{{"sub", c.Sub}, {"livc", c.Livc}, {"actor", c.Actor}} {
		segs := strings.Split(n.name, ".")
		bad := len(segs) > maxClaimPath || len(n.name) > MaxClaimLen
		for _, s := range segs {
			bad = bad || s == ""
		}
		for i := 0; i < len(n.name); i++ {
			bad = bad || n.name[i] < 0x21 || n.name[i] > 0x7e
		}
		if bad {
			errs = append(errs, fmt.Errorf("token: the claim name for %s, %q, must be printable ASCII without spaces, with at most %d non-empty dotted segments", n.what, n.name, maxClaimPath))
		}
	}
	return errors.Join(errs...)
}

// claimValue finds the claim name in tok: whole, else by its dotted path.
func claimValue(tok jwt.Token, name string) (any, bool) {
	if tok.Has(name) {
		var v any
		if err := tok.Get(name, &v); err != nil {
			return nil, false
		}
		return v, true
	}
	first, rest, dotted := strings.Cut(name, ".")
	if !dotted || !tok.Has(first) {
		return nil, false
	}
	var v any
	if err := tok.Get(first, &v); err != nil {
		return nil, false
	}
	for seg := range strings.SplitSeq(rest, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return v, true
}

// stringClaim returns a required claim that must be a sane string: a claim
// that is absent, null or empty is missing, one of another type or with
// unprintable characters invalid. The reason names the claim, never its
// value.
func stringClaim(tok jwt.Token, name string) (string, error) {
	v, ok := claimValue(tok, name)
	if !ok || v == nil {
		return "", errMissingClaim(name)
	}
	s, ok := v.(string)
	if !ok {
		return "", errBadClaim(name)
	}
	if s == "" {
		return "", errMissingClaim(name)
	}
	if !sane(s) {
		return "", errBadClaim(name)
	}
	return s, nil
}
