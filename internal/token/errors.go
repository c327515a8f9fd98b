package token

import (
	"strings"

	"github.com/livc/livc-broker/broker"
)

// reason is why a token was refused: a short fixed text for the audit log. It
// never holds token material; only claim names are ever interpolated.
type reason string

func (r reason) Error() string { return string(r) }

// The reasons Authenticate gives.
const (
	errNoToken      reason = "no token"
	errTooLarge     reason = "token too large"
	errMalformed    reason = "malformed token"
	errUnknownKid   reason = "unknown kid"
	errMissingKid   reason = "missing kid"
	errCritical     reason = "unsupported critical header"
	errAlgMismatch  reason = "algorithm does not match the key"
	errBadSignature reason = "bad signature"
	errExpired      reason = "expired"
	errNoExp        reason = "missing claim exp"
	errNotYetValid  reason = "not yet valid"
	errIssuedFuture reason = "issued in the future"
	errIssuer       reason = "wrong issuer"
	errAudience     reason = "wrong audience"
	errLifetime     reason = "lifetime over the maximum"
	errRepeatedKey  reason = "repeated key in the token's header or payload"
)

func errMissingClaim(name string) reason { return reason("missing claim " + name) }
func errBadClaim(name string) reason     { return reason("invalid claim " + name) }

// The descriptions a client is given (RFC 6750 error_description): a short
// fixed vocabulary, coarser than the reasons, so that a client learns what
// to fix (log in again, ask for another audience) and nothing about the
// broker's keys or configuration beyond it.
const (
	DescExpired      = "token expired"
	DescNotYetValid  = "token not yet valid"
	DescBadSignature = "bad signature"
	DescUnknownKey   = "unknown key"
	DescIssuer       = "wrong issuer"
	DescAudience     = "wrong audience"
	DescMissingClaim = "missing claim"
	DescInvalidClaim = "invalid claim"
	DescLifetime     = "lifetime too long"
	DescMalformed    = "malformed token"
)

var descriptions = map[reason]string{
	errNoToken:      "",
	errUnknownKid:   DescUnknownKey,
	errMissingKid:   DescUnknownKey,
	errAlgMismatch:  DescBadSignature,
	errBadSignature: DescBadSignature,
	errExpired:      DescExpired,
	errNoExp:        DescMissingClaim,
	errNotYetValid:  DescNotYetValid,
	errIssuedFuture: DescNotYetValid,
	errIssuer:       DescIssuer,
	errAudience:     DescAudience,
	errLifetime:     DescLifetime,
}

// TokenErrorDescription is the refusal's error_description, from the fixed
// vocabulary above; "" for a request without a token, which RFC 6750 3.1
// answers with a challenge and no error.
func (r reason) TokenErrorDescription() string {
	if d, ok := descriptions[r]; ok {
		return d
	}
	switch {
	case strings.HasPrefix(string(r), "missing claim "):
		return DescMissingClaim
	case strings.HasPrefix(string(r), "invalid claim "):
		return DescInvalidClaim
	}
	return DescMalformed
}

// refuse wraps a reason in the broker's vocabulary: the client sees only
// "invalid access token"; Error() adds the reason for the log.
func refuse(r reason) error {
	return &broker.Error{Kind: broker.KindUnauthenticated, Detail: "invalid access token", Err: r}
}
