package clilogin

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/test/oidcprovider"
)

// provider starts the test OpenID provider with one user and livcctl as a
// native client whose access tokens last ttl.
func provider(t *testing.T, ttl time.Duration) *oidcprovider.Provider {
	t.Helper()
	p, err := oidcprovider.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	p.AddUser(oidcprovider.User{Login: "an", Subject: "sub-an", Claims: map[string]any{"livc": "zonnedaal", "actor": "ocmw"}})
	p.AddNativeClient("livcctl", []string{"livc-broker"}, ttl, "http://127.0.0.1/callback")
	return p
}

// browse acts as the browser: it opens u, signs in as login on the
// provider's form and follows the redirects back to the loopback.
func browse(t *testing.T, u, login string) (*http.Response, error) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := b.Get(u)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("the provider did not show its login page: %s", resp.Request.URL.Path)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String()
	return b.PostForm(loginURL, url.Values{"id": {id}, "username": {login}})
}

// urlFrom waits for Login to print the URL to open, and returns it.
func urlFrom(t *testing.T, r io.Reader) string {
	t.Helper()
	buf := make([]byte, 0, 4096)
	for {
		chunk := make([]byte, 1024)
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for _, f := range strings.Fields(string(buf)) {
			if strings.HasPrefix(f, "http") && strings.Contains(string(buf), "Waiting") {
				return f
			}
		}
		if err != nil {
			t.Fatalf("no URL printed: %q", buf)
		}
	}
}

// login runs Login with the browser doing what act does with the URL.
func login(t *testing.T, p *oidcprovider.Provider, timeout time.Duration, act func(u string)) (*Token, error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var tok *Token
	var err error
	go func() {
		defer close(done)
		tok, err = Login(context.Background(), Conf{Issuer: p.Issuer, ClientID: "livcctl", Out: pw, Timeout: timeout})
		pw.Close()
	}()
	u := urlFrom(t, pr)
	go io.Copy(io.Discard, pr)
	act(u)
	<-done
	return tok, err
}

func TestLogin(t *testing.T) {
	p := provider(t, time.Hour)
	t.Run("signed in", func(t *testing.T) {
		tok, err := login(t, p, 10*time.Second, func(u string) {
			q := mustParse(t, u).Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
				t.Errorf("the URL lacks PKCE S256, state or nonce: %v", q)
			}
			if r := mustParse(t, q.Get("redirect_uri")); r.Hostname() != "127.0.0.1" || r.Port() == "" {
				t.Errorf("redirect_uri %v is not a loopback port", r)
			}
			resp, err := browse(t, u, "an")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("the browser: %v %v", resp, err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" || tok.Issuer != p.Issuer ||
			tok.ClientID != "livcctl" || time.Until(tok.Expiry) < 50*time.Minute {
			t.Errorf("token set %+v", tok)
		}
	})
}

func TestLoginRefuses(t *testing.T) {
	p := provider(t, time.Hour)
	refusals := []struct {
		name string
		act  func(t *testing.T, u string)
		says string
	}{
		{"a callback with another state", func(t *testing.T, u string) {
			r := mustParse(t, mustParse(t, u).Query().Get("redirect_uri"))
			r.RawQuery = url.Values{"state": {"forged"}, "code": {"c"}}.Encode()
			http.Get(r.String())
		}, "wrong state"},
		{"an ID token with another nonce", func(t *testing.T, u string) {
			v := mustParse(t, u)
			q := v.Query()
			q.Set("nonce", "replayed")
			v.RawQuery = q.Encode()
			browse(t, v.String(), "an")
		}, "nonce"},
		{"a PKCE challenge changed on the way", func(t *testing.T, u string) {
			v := mustParse(t, u)
			q := v.Query()
			q.Set("code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
			v.RawQuery = q.Encode()
			browse(t, v.String(), "an")
		}, "code exchange failed"},
		{"an error from the provider", func(t *testing.T, u string) {
			r := mustParse(t, mustParse(t, u).Query().Get("redirect_uri"))
			r.RawQuery = url.Values{"state": {mustParse(t, u).Query().Get("state")}, "error": {"access_denied"}}.Encode()
			http.Get(r.String())
		}, "access_denied"},
		{"nobody comes back", func(*testing.T, string) {}, "no sign-in came back"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			timeout := 5 * time.Second
			if tc.says == "no sign-in came back" {
				timeout = 300 * time.Millisecond
			}
			tok, err := login(t, p, timeout, func(u string) { tc.act(t, u) })
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Login = %+v, %v; want an error saying %q", tok, err, tc.says)
			}
		})
	}
}

// TestLoginRefusesIssuer proves that Login refuses, before any request, an
// issuer the code and the tokens would reach in clear.
func TestLoginRefusesIssuer(t *testing.T) {
	for _, tc := range []struct{ name, issuer, says string }{
		{"plain http off the loopback", "http://idp.example", "must use https"},
		{"another scheme", "ftp://idp.example", "not an http(s) URL"},
		{"no host", "https://", "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Login(context.Background(), Conf{Issuer: tc.issuer, ClientID: "livcctl", Timeout: time.Second})
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Login(%q) = %v; want an error saying %q", tc.issuer, err, tc.says)
			}
		})
	}
}

func TestAccessTokenRefreshes(t *testing.T) {
	// Tokens of 5s are inside AccessToken's early expiry: the first call
	// already refreshes.
	p := provider(t, 5*time.Second)
	tok, err := login(t, p, 10*time.Second, func(u string) { browse(t, u, "an") })
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/token.json"
	if err := Save(path, tok); err != nil {
		t.Fatal(err)
	}
	got, err := AccessToken(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got == tok.AccessToken || saved.AccessToken != got || saved.RefreshToken == tok.RefreshToken || !saved.Expiry.After(tok.Expiry.Add(-time.Second)) {
		t.Errorf("not refreshed and saved: got %t, saved %t, rotated %t", got != tok.AccessToken, saved.AccessToken == got, saved.RefreshToken != tok.RefreshToken)
	}
	t.Run("a refresh token used twice is refused", func(t *testing.T) {
		if err := Save(path, tok); err != nil { // the first set again: its refresh token was rotated away
			t.Fatal(err)
		}
		if _, err := AccessToken(context.Background(), path, nil); err == nil || !strings.Contains(err.Error(), "login again") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no refresh token", func(t *testing.T) {
		old := *tok
		old.RefreshToken = ""
		if err := Save(path, &old); err != nil {
			t.Fatal(err)
		}
		if _, err := AccessToken(context.Background(), path, nil); err == nil || !strings.Contains(err.Error(), "login again") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a good token is returned as it is", func(t *testing.T) {
		fresh := *tok
		fresh.Expiry = time.Now().Add(time.Hour)
		if err := Save(path, &fresh); err != nil {
			t.Fatal(err)
		}
		if got, err := AccessToken(context.Background(), path, nil); err != nil || got != fresh.AccessToken {
			t.Errorf("AccessToken = %v", err)
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
