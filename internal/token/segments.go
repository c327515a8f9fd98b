package token

import (
	"encoding/base64"
	"errors"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"

	"github.com/livc/livc-broker/broker/strictjson"
)

// segmentLimits bound the JSON of a token's header and payload. A claim
// nested deeper than this is no claim the broker reads.
var segmentLimits = strictjson.Limits{MaxBytes: MaxTokenBytes, MaxDepth: 16}

// checkSegments refuses a compact JWS whose protected header or payload is
// not exactly one JSON object without a repeated key (or with invalid
// UTF-8, a lone surrogate, trailing data). jwx, like encoding/json, lets the
// last of two equal keys win, so a token could say one thing to the broker
// and another to a parser that keeps the first: with this check no two
// readers of an accepted token disagree on what it says. It runs before any
// cryptography: the check is cheaper than a signature.
func checkSegments(raw string) error {
	hdr, payload, _, err := jwsbb.SplitCompactString(raw)
	if err != nil {
		return errMalformed
	}
	for _, seg := range [][]byte{hdr, payload} {
		if err := strictObject(seg); err != nil {
			return err
		}
	}
	return nil
}

// strictObject decodes one base64url segment and parses it strictly.
func strictObject(seg []byte) error {
	buf := make([]byte, base64.RawURLEncoding.DecodedLen(len(seg)))
	n, err := base64.RawURLEncoding.Strict().Decode(buf, seg)
	if err != nil {
		return errMalformed
	}
	v, err := strictjson.Decode(buf[:n], segmentLimits)
	if err != nil {
		var be *strictjson.Error
		if errors.As(err, &be) && be.Detail == strictjson.DetailRepeatedKey {
			return errRepeatedKey
		}
		return errMalformed
	}
	if _, ok := v.(map[string]any); !ok {
		return errMalformed
	}
	return nil
}
