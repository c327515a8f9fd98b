package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to one witness's tlog-witness API.
type Client struct {
	// URL is the witness's base URL; the request goes to URL/add-checkpoint.
	URL string
	// HTTP is the client used; nil is defaultClient (the Submitter's
	// context bounds each request's time).
	HTTP *http.Client
}

// Answer is what a witness answered an add-checkpoint: Status, and with
// 200 its cosignature lines, with 409 its size of the log.
type Answer struct {
	Status int
	Lines  []string
	Size   int64
}

// defaultClient follows no redirect: a witness is at its configured URL,
// and a 3xx is an answer that is no verdict (tried again later).
var defaultClient = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// maxAnswer bounds the body read from a witness.
const maxAnswer = 16 << 10

// Add submits a to the witness. An error is a failure to get an answer
// (network, timeout, a malformed 200 or 409); any status is an Answer.
func (c *Client) Add(ctx context.Context, a AddCheckpoint) (Answer, error) {
	url := strings.TrimSuffix(c.URL, "/") + "/add-checkpoint"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(a.Marshal()))
	if err != nil {
		return Answer{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Answer{}, err
	}
	ans := Answer{Status: resp.StatusCode}
	switch resp.StatusCode {
	case http.StatusOK:
		for _, l := range strings.SplitAfter(string(body), "\n") {
			if l == "" {
				continue
			}
			if !strings.HasPrefix(l, "— ") || !strings.HasSuffix(l, "\n") {
				return Answer{}, fmt.Errorf("witness: the answer is not signature lines")
			}
			ans.Lines = append(ans.Lines, l)
		}
	case http.StatusConflict:
		if ans.Size, err = ParseSize(body); err != nil {
			return Answer{}, err
		}
	}
	return ans, nil
}

// backoff is the wait before the next try after n failures in a row:
// doubling from min, at most max.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for range n - 1 {
		if d *= 2; d >= max {
			return max
		}
	}
	return d
}
