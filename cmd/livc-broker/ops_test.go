package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogLevel: --log-level and LIVC_LOG_LEVEL choose the least level
// logged; anything else is refused.
func TestLogLevel(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	for _, tc := range []struct {
		name, flag, env string
		logged          []string // of debug, info, warn, error
	}{
		{"default", "", "", []string{"info", "warn", "error"}},
		{"debug", "debug", "", []string{"debug", "info", "warn", "error"}},
		{"warn from the environment", "", "warn", []string{"warn", "error"}},
		{"the flag wins", "error", "debug", []string{"error"}},
		{"any case", "WARN", "", []string{"warn", "error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LIVC_LOG_LEVEL", tc.env)
			var args []string
			if tc.flag != "" {
				args = []string{"--log-level", tc.flag}
			}
			c, err := parseServe(args, noUsage)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			log := newLogger("json", c.LogLevel, &buf)
			log.Debug("debug")
			log.Info("info")
			log.Warn("warn")
			log.Error("error")
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if _, msg, ok := strings.Cut(l, `"msg":"`); ok {
					got = append(got, msg[:strings.IndexByte(msg, '"')])
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.logged, " ") {
				t.Fatalf("logged %v, want %v", got, tc.logged)
			}
		})
	}
	for _, bad := range []string{"verbose", "", "warning", "0"} {
		t.Run("refused "+bad, func(t *testing.T) {
			if _, err := parseServe([]string{"--log-level", bad}, noUsage); err == nil || !strings.Contains(err.Error(), "--log-level") {
				t.Fatalf("err %v, want one naming --log-level", err)
			}
		})
	}
}

// TestRedisTLSFlags: the Redis TLS files read their environment variables
// and are refused without a Redis URL, or a certificate without its key.
func TestRedisTLSFlags(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	t.Setenv("LIVC_REDIS_CA", "ca.pem")
	t.Setenv("LIVC_REDIS_CERT", "c.pem")
	t.Setenv("LIVC_REDIS_KEY", "k.pem")
	c, err := parseServe([]string{"--redis-url", "rediss://r:6380/0"}, noUsage)
	if err != nil || c.RedisTLS.CA != "ca.pem" || c.RedisTLS.Cert != "c.pem" || c.RedisTLS.Key != "k.pem" {
		t.Fatalf("%+v %v", c.RedisTLS, err)
	}
	if _, err := parseServe(nil, noUsage); err == nil || !strings.Contains(err.Error(), "need --redis-url") {
		t.Fatalf("TLS files without a Redis URL: %v", err)
	}
	t.Setenv("LIVC_REDIS_KEY", "")
	if _, err := parseServe([]string{"--redis-url", "rediss://r:6380/0"}, noUsage); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("a client certificate without its key: %v", err)
	}
}

// TestProbe: exit 0 on 200, 1 on anything else or nothing, 2 on usage.
func TestProbe(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	t.Cleanup(srv.Close)
	// A redirect to a server that answers 200: the probe must not go there.
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL+"/readyz", http.StatusFound))
	t.Cleanup(redirect.Close)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		status int
		args   []string
		code   int
	}{
		{"ready", 200, []string{srv.URL + "/readyz"}, 0},
		{"not ready", 503, []string{srv.URL + "/readyz"}, 1},
		{"redirect not followed", 200, []string{redirect.URL + "/readyz"}, 1},
		{"nobody there", 200, []string{"http://127.0.0.1:1/readyz"}, 1},
		{"not a URL", 200, []string{"127.0.0.1:8080"}, 1},
		{"no URL", 200, nil, 2},
		{"https, unknown CA", 200, []string{tlsSrv.URL}, 1},
		{"https, its CA", 200, []string{"--cacert", ca, tlsSrv.URL}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status = tc.status
			if code, _, errOut := runMain(t, append([]string{"probe"}, tc.args...)...); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
		})
	}
}

// writePair writes a self-signed certificate for cn, valid from nb to na,
// and its key, to dir/name.{crt,key}.
func writePair(t *testing.T, dir, name, cn string, nb, na time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: nb, NotAfter: na, DNSNames: []string{cn}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestCertReloader: a good new pair replaces the one in force; a bad one
// (garbage, a key of another certificate, expired, not yet valid) is
// refused and the previous pair stays.
func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cert, key := writePair(t, dir, "live", "a.example", now.Add(-time.Hour), now.Add(time.Hour))
	r, err := newCertReloader(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		c, err := r.tlsConfig().GetCertificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.Subject.CommonName
	}
	install := func(name, cn string, nb, na time.Time) {
		c, k := writePair(t, dir, name, cn, nb, na)
		for src, dst := range map[string]string{c: cert, k: key} {
			raw, _ := os.ReadFile(src)
			if err := os.WriteFile(dst, raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	install("b", "b.example", now.Add(-time.Hour), now.Add(time.Hour))
	if err := r.reload(); err != nil || served() != "b.example" {
		t.Fatalf("reload to b: %v, serving %s", err, served())
	}
	for _, tc := range []struct {
		name string
		prep func()
		says string
	}{
		{"garbage", func() { os.WriteFile(cert, []byte("not a certificate"), 0o600) }, "TLS certificate"},
		{"expired", func() { install("old", "old.example", now.Add(-2*time.Hour), now.Add(-time.Hour)) }, "not now"},
		{"not yet valid", func() { install("new", "new.example", now.Add(time.Hour), now.Add(2*time.Hour)) }, "not now"},
		{"key of another certificate", func() {
			install("c", "c.example", now.Add(-time.Hour), now.Add(time.Hour))
			_, k := writePair(t, dir, "d", "d.example", now.Add(-time.Hour), now.Add(time.Hour))
			raw, _ := os.ReadFile(k)
			os.WriteFile(key, raw, 0o600)
		}, "private key does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prep()
			if err := r.reload(); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("reload: %v, want an error saying %q", err, tc.says)
			}
			if served() != "b.example" {
				t.Fatalf("serving %s after a refused reload, want b.example still", served())
			}
		})
	}
	if _, err := newCertReloader(cert, key); err == nil {
		t.Fatal("a bad pair at start is accepted")
	}
}
