// Package token verifies the broker's access tokens (JWTs signed by a key of
// a JWKS) and makes development keys and tokens for `livcctl dev`.
//
// Verification is deliberately narrow. The algorithm comes from the key in
// the configured set, never from the token: a token whose header names
// another algorithm than its key (including "none" and any HMAC) is refused
// before any cryptography runs. The set itself is refused at load when it
// holds a symmetric key, a private key, or a key whose algorithm is not one
// of EdDSA, ES256, ES384, RS256 or PS256.
//
// A token is also refused when it is good for longer than the maximum
// lifetime (12 hours by default) or when its header or payload gives a key
// twice. The key set is read again on a timer and on Refresh (SIGHUP); a
// verification remembered in the cache ends with the key that made it.
//
// The principal's claims are read under the names Conf.Claims gives (a
// dotted name reads a nested claim), the token's aud must name one of the
// accepted audiences, and Discover finds the JWKS of an OpenID provider
// from its issuer URL.
//
// Errors never carry token material. Every refusal is a broker.Error of kind
// KindUnauthenticated whose cause is a short fixed reason ("expired", "bad
// signature", "missing claim actor", ...) meant for the audit log and the
// operator's log; the cause's TokenErrorDescription is the coarser text a
// client is told (RFC 6750 error_description).
package token
