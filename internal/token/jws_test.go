package token

import (
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// jwsSign signs payload with priv under its alg and kid, adding headers.
func jwsSign(payload []byte, priv jwk.Key, headers map[string]any) (string, error) {
	alg, _ := priv.Algorithm()
	hdr := jws.NewHeaders()
	for k, v := range headers {
		if err := hdr.Set(k, v); err != nil {
			return "", err
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, priv, jws.WithProtectedHeaders(hdr)))
	return string(out), err
}
