package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/livc/livc-broker/internal/clilogin"
)

// cmdLogin signs in at the identity provider (internal/clilogin) and saves
// the token set where the other commands find it when neither LIVC_TOKEN
// nor --token-file is given.
func cmdLogin(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	issuer := fs.String("issuer", envOr("LIVC_OIDC_ISSUER", ""), "the OpenID provider's `URL` (env LIVC_OIDC_ISSUER)")
	clientID := fs.String("client-id", envOr("LIVC_CLI_CLIENT_ID", ""), "livcctl's client `ID` at the provider (env LIVC_CLI_CLIENT_ID)")
	// No environment default shown: -h prints defaults, never a secret.
	secret := fs.String("client-secret", "", "the client's `SECRET`, for a provider that gives livcctl one; prefer the environment (env LIVC_CLI_CLIENT_SECRET)")
	scopes := fs.String("scopes", strings.Join(clilogin.DefaultScopes, " "), "the `SCOPES` asked for, separated by spaces or commas; openid is required, offline_access gets a refresh token")
	browser := fs.Bool("browser", false, "also try to open the URL in the default browser")
	timeout := fs.Duration("timeout", clilogin.DefaultTimeout, "how long to wait for the sign-in")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *issuer == "" || *clientID == "" {
		return usageError{errors.New("login takes --issuer and --client-id, and no argument")}
	}
	if *secret == "" {
		*secret = envOr("LIVC_CLI_CLIENT_SECRET", "")
	}
	path, err := clilogin.DefaultPath()
	if err != nil {
		return err
	}
	c := clilogin.Conf{Issuer: *issuer, ClientID: *clientID, ClientSecret: *secret, Out: env.stderr, Timeout: *timeout,
		Scopes: strings.FieldsFunc(*scopes, func(r rune) bool { return r == ' ' || r == ',' })}
	if *browser {
		c.OpenBrowser = clilogin.OpenBrowser
	}
	tok, err := clilogin.Login(env.ctx, c)
	if err != nil {
		return err
	}
	if err := clilogin.Save(path, tok); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Signed in; the token is saved in %s (valid until %s).\n", path, tok.Expiry.Local().Format(time.DateTime))
	return nil
}
