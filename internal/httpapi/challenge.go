package httpapi

import "errors"

// describedRefusal is a refused token's cause that can say, in a short fixed
// vocabulary, what was wrong with it (internal/token's reasons do, and the
// broker's own): the gateway needs no adapter to ask.
type describedRefusal interface {
	error
	TokenErrorDescription() string
}

// challenge is the WWW-Authenticate header of a 401 for err (RFC 6750 3),
// and the refusal's reason for the operator's log. A request without a
// token gets the bare challenge (RFC 6750 3.1: no error code when no
// credentials were given); a refused token gets error="invalid_token" and
// its error_description. The 401 body is the same whatever the reason; only
// this header and the log tell them apart, and neither holds any part of the
// token or a claim's value.
func challenge(err error) (header, reason string) {
	const realm = `Bearer realm="livc-broker"`
	var d describedRefusal
	if !errors.As(err, &d) {
		return realm + `, error="invalid_token"`, ""
	}
	desc := d.TokenErrorDescription()
	if desc == "" {
		return realm, d.Error()
	}
	if !quotable(desc) {
		return realm + `, error="invalid_token"`, d.Error()
	}
	return realm + `, error="invalid_token", error_description="` + desc + `"`, d.Error()
}

// quotable reports whether s is made only of the characters RFC 6750 3
// allows in error_description: %x20-21 / %x23-5B / %x5D-7E.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
