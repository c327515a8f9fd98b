package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/internal/clilogin"
)

// globalFlags are the flags every command takes, before or after its own.
type globalFlags struct {
	broker    string
	tokenFile string
	cacert    string
	output    string
}

// register adds the global flags to root, as persistent flags.
func (g *globalFlags) register(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&g.broker, "broker", envOr("LIVC_BROKER", "http://127.0.0.1:8080"), "the broker's `URL`, with its scheme (env LIVC_BROKER)")
	pf.StringVar(&g.tokenFile, "token-file", "", "read the access token from `FILE` instead of LIVC_TOKEN; without either, the token livcctl login saved")
	pf.StringVar(&g.cacert, "cacert", "", "trust the broker's certificate when signed by the CA in this PEM `FILE` (and only then)")
	pf.StringVarP(&g.output, "output", "o", "", "the answers' `FORMAT`: table or json (default table on a terminal, json otherwise)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// clientFlags is how a command talks to the broker: the global flags and
// the purpose the command declares (its own --purpose flag).
type clientFlags struct {
	g       *globalFlags
	purpose string
}

// client adds --purpose (default purpose) to cmd and returns the client
// that uses it.
func (env *cliEnv) client(cmd *cobra.Command, purpose string) *clientFlags {
	cf := &clientFlags{g: &env.global}
	cmd.Flags().StringVar(&cf.purpose, "purpose", purpose, "the declared `PURPOSE` of the request (LIVC-Purpose)")
	return cf
}

// token is the access token: --token-file's, else LIVC_TOKEN, else the one
// livcctl login saved (refreshed at the provider when expired).
func (c *clientFlags) token(ctx context.Context) (string, error) {
	if c.g.tokenFile != "" {
		b, err := os.ReadFile(c.g.tokenFile)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := strings.TrimSpace(os.Getenv("LIVC_TOKEN")); t != "" {
		return t, nil
	}
	path, err := clilogin.DefaultPath()
	if err != nil {
		return "", err
	}
	t, err := clilogin.AccessToken(ctx, path, &http.Client{Timeout: 30 * time.Second})
	if errors.Is(err, clilogin.ErrNoToken) {
		return "", errors.New("no access token: set LIVC_TOKEN, pass --token-file or run livcctl login")
	}
	return t, err
}

// httpClient returns the client for the broker: the system's CAs, or with
// --cacert only the CAs of that file.
func (c *clientFlags) httpClient() (*http.Client, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	if c.g.cacert == "" {
		return hc, nil
	}
	pem, err := os.ReadFile(c.g.cacert)
	if err != nil {
		return nil, fmt.Errorf("--cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usageError{fmt.Errorf("--cacert %s holds no PEM certificate", c.g.cacert)}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc.Transport = tr
	return hc, nil
}

// request is one call to the broker.
type request struct {
	method, path string
	contentType  string
	accept       string
	body         []byte
	anonymous    bool // no token (GET /v1/keys)
}

// do sends r and returns the body of a 2xx answer; any other answer is an
// error naming the problem's title and detail and the request id.
func (c *clientFlags) do(env *cliEnv, r request) ([]byte, http.Header, error) {
	base, err := brokerURL(c.g.broker)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(env.ctx, r.method, strings.TrimRight(base.String(), "/")+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, nil, err
	}
	if !r.anonymous {
		tok, err := c.token(env.ctx)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("LIVC-Purpose", c.purpose)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	hc, err := c.httpClient()
	if err != nil {
		return nil, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, transportError(base, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, resp.Header, answerError(resp, out)
	}
	return out, resp.Header, nil
}

// call sends a request with a body of contentType (none when empty) and
// returns the body of a 2xx answer.
func (c *clientFlags) call(env *cliEnv, method, path, contentType string, body []byte, withToken bool) ([]byte, http.Header, error) {
	return c.do(env, request{method: method, path: path, contentType: contentType, body: body, anonymous: !withToken})
}

// send sends a JSON body and prints the answer.
func (c *clientFlags) send(env *cliEnv, method, path string, body []byte) error {
	out, _, err := c.call(env, method, path, "application/json", body, true)
	if err != nil {
		return err
	}
	return env.emit(out)
}

// get reads path with the token and prints the answer.
func (c *clientFlags) get(env *cliEnv, path string) error {
	out, _, err := c.call(env, "GET", path, "", nil, true)
	if err != nil {
		return err
	}
	return env.emit(out)
}

// withQuery is path with the query q, when q has values.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
