package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/livc/livc-broker/internal/clilogin"
)

// clientFlags are the flags of every command that talks to the broker.
type clientFlags struct {
	broker    string
	tokenFile string
	purpose   string
}

func (c *clientFlags) register(fs *flag.FlagSet, purpose string) {
	fs.StringVar(&c.broker, "broker", envOr("LIVC_BROKER", "http://127.0.0.1:8080"), "the broker's `URL` (env LIVC_BROKER)")
	fs.StringVar(&c.tokenFile, "token-file", "", "read the access token from `FILE` instead of LIVC_TOKEN")
	fs.StringVar(&c.purpose, "purpose", purpose, "the declared `purpose` of the request (LIVC-Purpose)")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// token is the access token: --token-file's, else LIVC_TOKEN, else the one
// livcctl login saved (refreshed when expired).
func (c *clientFlags) token(ctx context.Context) (string, error) {
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
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
	t, err := clilogin.AccessToken(ctx, path, httpClient)
	if errors.Is(err, clilogin.ErrNoToken) {
		return "", errors.New("no access token: set LIVC_TOKEN, pass --token-file or run livcctl login")
	}
	return t, err
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// call sends a request and returns the body of a 2xx answer; any other
// answer is an error quoting the problem's detail and request id.
func (c *clientFlags) call(env *cliEnv, method, path, contentType string, body []byte, withToken bool) ([]byte, http.Header, error) {
	base, err := brokerURL(c.broker)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(env.ctx, method, strings.TrimRight(base.String(), "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if withToken {
		tok, err := c.token(env.ctx)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("LIVC-Purpose", c.purpose)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, nil, unreachable(base, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, resp.Header, problemError(resp, out)
	}
	return out, resp.Header, nil
}

// brokerURL checks the broker's URL (LIVC_BROKER or --broker): http or
// https, with a host. Its error never quotes the value, which may hold a
// password in its user part.
func brokerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{errors.New("LIVC_BROKER (or --broker) must be the broker's URL with its scheme, like http://127.0.0.1:8080 or https://broker.example")}
	}
	return u, nil
}

// unreachable turns a failure to connect into a message that says which
// broker could not be reached and why, without the raw dial error's noise.
func unreachable(base *url.URL, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach the broker at %s: %v (is it running? LIVC_BROKER or --broker says where)", base.Redacted(), op.Err)
	}
	return err
}

func problemError(resp *http.Response, body []byte) error {
	var p struct {
		Title, Detail, Field string
		RequestID            string `json:"request_id"`
	}
	if json.Unmarshal(body, &p) != nil || p.Detail == "" {
		return fmt.Errorf("broker answered %s", resp.Status)
	}
	msg := fmt.Sprintf("broker answered %s: %s", resp.Status, p.Detail)
	if p.Field != "" {
		msg += " (field " + p.Field + ")"
	}
	msg += " [request " + p.RequestID
	if a := resp.Header.Get("X-Audit-Id"); a != "" {
		msg += ", audit " + a
	}
	return errors.New(msg + "]")
}

// printJSON pretty-prints a JSON answer.
func printJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		_, err = w.Write(body)
		return err
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(w)
	return err
}

// parseFlags parses fs, turning -h into helpShown and other errors into
// usage errors.
func parseFlags(fs *flag.FlagSet, env *cliEnv, args []string) error {
	fs.SetOutput(env.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpShown{}
		}
		return usageError{err}
	}
	return nil
}
