package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The messages of a call that fails before or at the broker: what went
// wrong, in words, and what to do, never the token and never a password
// in the URL.

// brokerURL checks the broker's URL (LIVC_BROKER or --broker): http or
// https, with a host. Its error never quotes the value, which may hold a
// password in its user part, but for a bare host it suggests https://.
func brokerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return u, nil
	}
	msg := "LIVC_BROKER (or --broker) must be the broker's URL with its scheme, like https://broker.example or http://127.0.0.1:8080"
	if !strings.Contains(raw, "://") && !strings.ContainsAny(raw, "@ \t") && raw != "" {
		msg += fmt.Sprintf(": it has no scheme; did you mean https://%s?", raw)
	}
	return nil, usageError{errors.New(msg)}
}

// transportError turns a failure to get an answer into a message that says
// which broker and why: not running, not trusted, not found.
func transportError(base *url.URL, err error) error {
	where := base.Redacted()
	var unknown x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown) || errors.As(err, &verify) && !errors.As(err, &hostname) && !errors.As(err, &invalid):
		return fmt.Errorf("the broker's certificate at %s is not trusted: it is signed by an unknown authority; pass --cacert FILE with the CA that signed it", where)
	case errors.As(err, &hostname):
		return fmt.Errorf("the broker's certificate at %s is not valid for this host name (%v); use the name the certificate is for", where, hostname.Error())
	case errors.As(err, &invalid):
		return fmt.Errorf("the broker's certificate at %s is not valid: %v", where, invalid.Error())
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("cannot reach the broker at %s: no such host (check LIVC_BROKER or --broker)", where)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach the broker at %s: %v (is it running? LIVC_BROKER or --broker says where)", where, shortCause(op.Err))
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("the broker at %s speaks plain HTTP: use an http:// URL", where)
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("the broker at %s did not answer in time", where)
	}
	if errors.As(err, &ue) {
		return fmt.Errorf("no answer from the broker at %s: %v", where, ue.Err)
	}
	return err
}

// shortCause is the last part of a system call error: "connection refused"
// rather than "connect: connection refused".
func shortCause(err error) string {
	m := err.Error()
	if i := strings.LastIndex(m, ": "); i >= 0 {
		return m[i+2:]
	}
	return m
}

// answerError is the error of an answer that is not 2xx: a refused token
// with the reason its WWW-Authenticate gives, or the problem's title and
// detail, with the request and audit ids to quote.
func answerError(resp *http.Response, body []byte) error {
	var p struct {
		Title, Detail, Field string
		RequestID            string `json:"request_id"`
	}
	_ = json.Unmarshal(body, &p)
	var msg string
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		msg = "the broker refused the access token"
		if why := authParam(resp.Header.Get("WWW-Authenticate"), "error_description"); why != "" {
			msg += ": " + printable(why)
		}
		msg += " (get a new one: LIVC_TOKEN or --token-file)"
	case p.Title != "" || p.Detail != "":
		msg = "the broker refused (" + printable(resp.Status) + "): " + printable(p.Title)
		if p.Detail != "" && p.Detail != p.Title {
			msg += ": " + printable(p.Detail)
		}
		if p.Field != "" {
			msg += " (field " + printable(p.Field) + ")"
		}
	default:
		return fmt.Errorf("the broker answered %s", printable(resp.Status))
	}
	ids := []string{}
	if p.RequestID != "" {
		ids = append(ids, "request "+printable(p.RequestID))
	} else if r := resp.Header.Get("X-Request-Id"); r != "" {
		ids = append(ids, "request "+printable(r))
	}
	if a := resp.Header.Get("X-Audit-Id"); a != "" {
		ids = append(ids, "audit "+printable(a))
	}
	if len(ids) > 0 {
		msg += " [" + strings.Join(ids, ", ") + "]"
	}
	return errors.New(msg)
}

// authParam returns the value of the auth-param name of a WWW-Authenticate
// challenge (RFC 9110 §11.2), quoted or not; "" when absent.
func authParam(challenge, name string) string {
	_, params, _ := strings.Cut(strings.TrimSpace(challenge), " ")
	for params != "" {
		params = strings.TrimLeft(params, " ,")
		key, rest, ok := strings.Cut(params, "=")
		if !ok {
			return ""
		}
		key = strings.TrimSpace(key)
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val, params = b.String(), rest[min(i+1, len(rest)):]
		} else {
			val, params, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		if strings.EqualFold(key, name) {
			return val
		}
	}
	return ""
}
