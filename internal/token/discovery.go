package token

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxDiscoveryBytes bounds an OpenID provider's configuration document.
const maxDiscoveryBytes = 256 << 10

// Discover reads issuer's OpenID Connect discovery document
// (issuer/.well-known/openid-configuration, OpenID Connect Discovery 1.0
// section 4) and returns its jwks_uri. It refuses, with the cause, a
// provider that cannot be reached, answers anything but 200 and a JSON
// object, names another issuer than issuer (section 4.3: a document that
// speaks for another provider must not be trusted), or gives a jwks_uri that
// Conf would refuse (plain http off the loopback). The issuer URL itself is
// held to the same rule.
func Discover(ctx context.Context, issuer string) (jwksURI string, err error) {
	if err := checkURL("OpenID issuer", issuer); err != nil {
		return "", err
	}
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return "", fmt.Errorf("token: OpenID discovery %s: %w", where, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		return "", fmt.Errorf("token: OpenID discovery %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: OpenID discovery %s: status %d", where, resp.StatusCode)
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil || len(buf) > maxDiscoveryBytes {
		return "", fmt.Errorf("token: OpenID discovery %s: unreadable or larger than %d bytes", where, maxDiscoveryBytes)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(buf, &doc); err != nil {
		return "", fmt.Errorf("token: OpenID discovery %s: %w", where, err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("token: OpenID discovery %s names the issuer %q, not %q", where, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("token: OpenID discovery %s gives no jwks_uri", where)
	}
	if err := checkURL("jwks_uri", doc.JWKSURI); err != nil {
		return "", fmt.Errorf("token: OpenID discovery %s: %w", where, err)
	}
	return doc.JWKSURI, nil
}
