// Package clilogin signs a person in to the broker's identity provider from
// the command line (`livcctl login`) and keeps the tokens it gets.
//
// Login runs the OpenID Connect authorization code flow with PKCE (S256)
// through a loopback redirect (RFC 8252): it listens on 127.0.0.1 on a
// random port, prints the URL to open, and waits, within a timeout, for the
// provider to send the browser back with a code. The state must come back
// unchanged and the ID token must carry the nonce sent, so that neither a
// forged callback nor a replayed ID token is taken.
//
// The token set is kept in one file (DefaultPath: the user's configuration
// directory, livcctl/token.json) of mode 0600 in a directory of mode 0700;
// Load refuses a file that others may read or write, as ssh does a key.
// AccessToken returns a good access token from that file, refreshing it
// with the refresh token when it has expired, and saving the new set.
//
// Nothing here prints or logs a token.
package clilogin
