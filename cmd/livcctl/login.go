package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/internal/clilogin"
)

// newLoginCmd signs in at the identity provider (internal/clilogin) and
// saves the token set where the other commands find it when neither
// LIVC_TOKEN nor --token-file is given.
func newLoginCmd(env *cliEnv) *cobra.Command {
	var issuer, clientID, secret, scopes string
	var browser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "sign in at the identity provider; the token is saved and used when LIVC_TOKEN and --token-file are not given",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			if issuer == "" || clientID == "" {
				return usageError{errors.New("login takes --issuer and --client-id")}
			}
			if secret == "" {
				secret = os.Getenv("LIVC_CLI_CLIENT_SECRET")
			}
			path, err := clilogin.DefaultPath()
			if err != nil {
				return err
			}
			c := clilogin.Conf{Issuer: issuer, ClientID: clientID, ClientSecret: secret, Out: env.stderr, Timeout: timeout,
				Scopes: strings.FieldsFunc(scopes, func(r rune) bool { return r == ' ' || r == ',' })}
			if browser {
				c.OpenBrowser = clilogin.OpenBrowser
			}
			tok, err := clilogin.Login(env.ctx, c)
			if err != nil {
				return err
			}
			if err := clilogin.Save(path, tok); err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.stdout, "Signed in; the token is saved in %s (valid until %s).\n", path, tok.Expiry.Local().Format(time.DateTime))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", os.Getenv("LIVC_OIDC_ISSUER"), "the OpenID provider's `URL` (env LIVC_OIDC_ISSUER)")
	f.StringVar(&clientID, "client-id", os.Getenv("LIVC_CLI_CLIENT_ID"), "livcctl's client `ID` at the provider (env LIVC_CLI_CLIENT_ID)")
	// No environment default shown: help prints defaults, never a secret.
	f.StringVar(&secret, "client-secret", "", "the client's `SECRET`, for a provider that gives livcctl one; prefer the environment (env LIVC_CLI_CLIENT_SECRET)")
	f.StringVar(&scopes, "scopes", strings.Join(clilogin.DefaultScopes, " "), "the `SCOPES` asked for, separated by spaces or commas; openid is required, offline_access gets a refresh token")
	f.BoolVar(&browser, "browser", false, "also try to open the URL in the default browser")
	f.DurationVar(&timeout, "timeout", clilogin.DefaultTimeout, "how long to wait for the sign-in")
	return cmd
}
