package token

import "github.com/livc/livc-broker/broker"

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

// refuse wraps a reason in the broker's vocabulary: the client sees only
// "invalid access token"; Error() adds the reason for the log.
func refuse(r reason) error {
	return &broker.Error{Kind: broker.KindUnauthenticated, Detail: "invalid access token", Err: r}
}
