package token

import (
	"encoding/base64"
	"encoding/json"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"

	"github.com/livc/livc-broker/broker"
)

var _ broker.ClaimPeeker = (*Verifier)(nil)

// UnverifiedClaims implements broker.ClaimPeeker: the livc and actor claims
// of a compact JWS, read without any check of its signature or validity, so
// that a refused token can be filed under the cell it targets. Each is ""
// unless it is a sane string (printable, at most MaxClaimLen bytes); a token
// over MaxTokenBytes or not a compact JWS with a JSON object payload yields
// neither. Never use them to grant anything.
func (v *Verifier) UnverifiedClaims(raw string) (livc, actor string) {
	return peekClaims(raw)
}

func peekClaims(raw string) (livc, actor string) {
	if raw == "" || len(raw) > MaxTokenBytes {
		return "", ""
	}
	_, payload, _, err := jwsbb.SplitCompactString(raw)
	if err != nil {
		return "", ""
	}
	b, err := base64.RawURLEncoding.DecodeString(string(payload))
	if err != nil {
		return "", ""
	}
	var c struct {
		Livc  any `json:"livc"`
		Actor any `json:"actor"`
	}
	if json.Unmarshal(b, &c) != nil {
		return "", ""
	}
	str := func(v any) string {
		if s, ok := v.(string); ok && sane(s) {
			return s
		}
		return ""
	}
	return str(c.Livc), str(c.Actor)
}
