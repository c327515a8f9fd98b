package clilogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// earlyExpiry is how long before its expiry an access token is renewed, so
// that it does not run out on its way to the broker.
const earlyExpiry = 10 * time.Second

// AccessToken returns an access token from the token set at path (see
// Load), good for at least a few more seconds. An expired one is renewed
// with the refresh token at the provider the set names, and the new set
// saved in its place (the provider may rotate the refresh token); without a
// refresh token, or when the provider refuses it, the error says to log in
// again. httpClient talks to the provider; nil means http.DefaultClient.
func AccessToken(ctx context.Context, path string, httpClient *http.Client) (string, error) {
	t, err := Load(path)
	if err != nil {
		return "", err
	}
	if t.Expiry.IsZero() || time.Until(t.Expiry) > earlyExpiry {
		return t.AccessToken, nil
	}
	if t.RefreshToken == "" {
		return "", errors.New("clilogin: the saved access token has expired and cannot be refreshed: run livcctl login again")
	}
	if httpClient != nil {
		ctx = oidc.ClientContext(ctx, httpClient)
	}
	prov, err := oidc.NewProvider(ctx, t.Issuer)
	if err != nil {
		return "", fmt.Errorf("clilogin: OpenID discovery of %s: %w", t.Issuer, err)
	}
	oc := &oauth2.Config{ClientID: t.ClientID, ClientSecret: t.ClientSecret, Endpoint: prov.Endpoint()}
	// An Expiry in the past makes the source refresh at once.
	next, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: t.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return "", fmt.Errorf("clilogin: the refresh failed (%w): run livcctl login again", describe(err))
	}
	t.AccessToken, t.Expiry = next.AccessToken, next.Expiry
	if next.RefreshToken != "" {
		t.RefreshToken = next.RefreshToken
	}
	if err := Save(path, t); err != nil {
		return "", err
	}
	return t.AccessToken, nil
}
