package auditout

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/livc/livc-broker/internal/loopback"
)

// Webhook is an AlertSender that POSTs each alert as JSON to a URL, signed
// with HMAC-SHA256 so that the receiver knows it came from the broker:
//
//	X-Livc-Timestamp: <unix seconds>
//	X-Livc-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The receiver recomputes the HMAC over the timestamp and the raw body,
// compares in constant time, and refuses a timestamp far from its clock (a
// replay). Each alert is tried up to Attempts times with a doubling wait;
// if it still fails, Send fails and the Follower tries again later from the
// same alert, so none is lost (a receiver may see one twice: the id tells).
type Webhook struct {
	URL    string
	Secret []byte
	// Client sends the requests; default a client with a 5s timeout that
	// follows no redirect.
	Client *http.Client
	// Attempts per alert within one Send, default 3, the first retry after
	// Wait (default 200ms), doubling.
	Attempts int
	Wait     time.Duration
	Now      func() time.Time
}

// MinSecret is the shortest webhook secret accepted, in bytes.
const MinSecret = 32

// CheckWebhookURL refuses what is not an absolute http(s) URL, and plain
// http to anything but a loopback address: alerts name actors and subs.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return fmt.Errorf("auditout: webhook %q: want an https:// URL without credentials", raw)
	}
	if u.Scheme == "http" {
		if !loopback.Host(u.Hostname()) {
			return fmt.Errorf("auditout: webhook %q: plain http only to a loopback address; use https", raw)
		}
	}
	return nil
}

// Send implements AlertSender.
func (w *Webhook) Send(ctx context.Context, alerts []Alert) error {
	for _, a := range alerts {
		body, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := w.sendOne(ctx, body); err != nil {
			return err
		}
	}
	return nil
}

func (w *Webhook) sendOne(ctx context.Context, body []byte) error {
	attempts, wait := w.Attempts, w.Wait
	if attempts <= 0 {
		attempts = 3
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	var err error
	for i := range attempts {
		if i > 0 && !sleep(ctx, wait<<(i-1)) {
			return ctx.Err()
		}
		if err = w.post(ctx, body); err == nil {
			return nil
		}
	}
	return err
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "livc-broker")
	req.Header.Set("X-Livc-Timestamp", ts)
	req.Header.Set("X-Livc-Signature", "v1="+Sign(w.Secret, ts, body))
	client := w.Client
	if client == nil {
		client = defaultWebhookClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New("auditout: webhook unreachable") // the error may hold the URL's query
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("auditout: webhook answered %d", resp.StatusCode)
	}
	return nil
}

// defaultWebhookClient follows no redirect: a 307 would resend the signed
// alert (names of actors) to wherever the receiver points, perhaps over
// plain http; a 3xx is a failed delivery, tried again later.
var defaultWebhookClient = &http.Client{Timeout: 5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Sign returns the hex HMAC-SHA256, under secret, of timestamp "." body: the
// v1 signature of X-Livc-Signature.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
