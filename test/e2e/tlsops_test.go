package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testCA is a certificate authority made by a test, and the directory its
// files go to.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	dir  string
	File string // the CA certificate, PEM
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "livc e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	ca := &testCA{cert: cert, key: key, pool: x509.NewCertPool(), dir: t.TempDir()}
	ca.pool.AddCert(cert)
	ca.File = filepath.Join(ca.dir, "ca.pem")
	must(t, os.WriteFile(ca.File, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return ca
}

// issue signs a certificate for 127.0.0.1 named cn, for a server or a
// client, and writes it and its key to name.crt and name.key.
func (ca *testCA) issue(t *testing.T, name, cn string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	certFile, keyFile = filepath.Join(ca.dir, name+".crt"), filepath.Join(ca.dir, name+".key")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

// startTLSRedis starts a redis-server that speaks TLS only, with a server
// certificate of ca, and that asks every client for a certificate of ca.
func startTLSRedis(t *testing.T, ca *testCA) (addr string) {
	t.Helper()
	cert, key := ca.issue(t, "redis", "redis", x509.ExtKeyUsageServerAuth)
	port := freePort(t)
	cmd := exec.Command("redis-server", "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca.File, "--tls-auth-clients", "yes",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	ccert, ckey := ca.issue(t, "test-client", "test", x509.ExtKeyUsageClientAuth)
	pair, err := tls.LoadX509KeyPair(ccert, ckey)
	must(t, err)
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1"}})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.Info(context.Background(), "server").Result()
		if err == nil && strings.Contains(info, fmt.Sprintf("process_id:%d\r\n", cmd.Process.Pid)) {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server with TLS did not start on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runBrokerBriefly runs `livc-broker serve` with args expecting it to
// refuse to start, and returns its exit code and output.
func runBrokerBriefly(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "livc-broker"), append([]string{"serve",
		"--listen", "127.0.0.1:0", "--admin-listen", "off", "--data", t.TempDir()}, args...)...)
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the broker did not refuse to start:\n%s", out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestRedisTLS: the broker works against a Redis that speaks TLS only and
// asks for a client certificate, given the CA and its certificate
// (--redis-ca, --redis-cert, --redis-key); a CA file that is no CA, or no
// client certificate, and it refuses to start saying why.
func TestRedisTLS(t *testing.T) {
	ca := newTestCA(t)
	addr := startTLSRedis(t, ca)
	cert, key := ca.issue(t, "broker-client", "livc-broker", x509.ExtKeyUsageClientAuth)
	url := "rediss://" + addr + "/0"

	w := &world{t: t, model: loadModel(t), iss: newIssuer(t), records: submitted{}, signals: map[string]string{}}
	w.broker = startBroker(t, addr, w.iss, "--config", examplePath, "--redis-url", url,
		"--redis-ca", ca.File, "--redis-cert", cert, "--redis-key", key)
	if r := do(t, "GET", w.broker.URL+"/readyz", nil); r.Status != 200 {
		t.Fatalf("/readyz over rediss://: %d %s", r.Status, r.Body)
	}
	var keys struct{ Recipients []string }
	do(t, "GET", w.broker.URL+"/v1/keys", nil).json(t, &keys)
	w.recip = keys.Recipients[0]
	w.submitAll(t)
	if r := w.get("pz", "signal", "/v1/subjects/"+w.ref+"/card"); r.Status != 200 {
		t.Fatalf("card over rediss://: %d %s", r.Status, r.Body)
	}

	garbage := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(garbage, []byte("-----BEGIN NOTHING-----\n"), 0o600))
	other := newTestCA(t)
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"a CA file without a certificate", []string{"--redis-ca", garbage, "--redis-cert", cert, "--redis-key", key}, "holds no PEM certificate"},
		{"a CA file that is not there", []string{"--redis-ca", garbage + ".missing", "--redis-cert", cert, "--redis-key", key}, "no such file"},
		{"another CA", []string{"--redis-ca", other.File, "--redis-cert", cert, "--redis-key", key}, "certificate signed by unknown authority"},
		{"no client certificate", []string{"--redis-ca", ca.File}, "redis"},
		{"a CA with a plain URL", []string{"--redis-ca", ca.File, "--redis-url", "redis://" + addr + "/0"}, "needs a TLS URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--config", examplePath, "--jwks", w.iss.jwksPath, "--issuer", issuer, "--audience", audience,
				"--redis-url", url}, tc.args...)
			code, out := runBrokerBriefly(t, args...)
			if code == 0 || !strings.Contains(out, tc.says) {
				t.Fatalf("exit %d, want a refusal saying %q:\n%s", code, tc.says, out)
			}
		})
	}
}

// startBrokerHTTPS runs the broker serving HTTPS with certFile and keyFile
// (dev keys, a Redis of its own) and returns it once it listens: its
// address, its process and its log.
func startBrokerHTTPS(t *testing.T, certFile, keyFile string) (addr string, cmd *exec.Cmd, logs *syncBuffer) {
	t.Helper()
	rs := startRedis(t)
	iss := newIssuer(t)
	addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd = exec.Command(filepath.Join(binDir, "livc-broker"), "serve", "--listen", addr, "--admin-listen", "off",
		"--redis-url", "redis://"+rs.Addr+"/0", "--jwks", iss.jwksPath, "--issuer", issuer, "--audience", audience,
		"--data", t.TempDir(), "--log-format", "json", "--tls-cert", certFile, "--tls-key", keyFile)
	logs = &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
	}()
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		pw.Close()
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "livc-broker listening") {
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not start:\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	return addr, cmd, logs
}

// servedCert is the common name of the certificate a new TLS connection to
// addr is shown.
func servedCert(t *testing.T, addr string, pool *x509.CertPool) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	must(t, err)
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestTLSReloadOnHUP: the broker serves certificate A; A's files replaced by
// B's and SIGHUP sent, a new connection is shown B. Files replaced by a
// broken pair and SIGHUP sent, B stays in force and the log says why.
func TestTLSReloadOnHUP(t *testing.T) {
	ca := newTestCA(t)
	certA, keyA := ca.issue(t, "a", "cert-A", x509.ExtKeyUsageServerAuth)
	certB, keyB := ca.issue(t, "b", "cert-B", x509.ExtKeyUsageServerAuth)
	live := t.TempDir()
	cert, key := filepath.Join(live, "tls.crt"), filepath.Join(live, "tls.key")
	install := func(c, k string) {
		t.Helper()
		for src, dst := range map[string]string{c: cert, k: key} {
			raw, err := os.ReadFile(src)
			must(t, err)
			must(t, os.WriteFile(dst+".new", raw, 0o600))
			must(t, os.Rename(dst+".new", dst)) // as a renewal tool does: whole files
		}
	}
	install(certA, keyA)
	addr, cmd, logs := startBrokerHTTPS(t, cert, key)
	if got := servedCert(t, addr, ca.pool); got != "cert-A" {
		t.Fatalf("served %s at start, want cert-A", got)
	}
	open, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"})
	must(t, err)
	defer open.Close()

	install(certB, keyB)
	must(t, cmd.Process.Signal(syscall.SIGHUP))
	deadline := time.Now().Add(10 * time.Second)
	for servedCert(t, addr, ca.pool) != "cert-B" {
		if time.Now().After(deadline) {
			t.Fatalf("still cert-A 10s after SIGHUP:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("the reload is not in the log")
	}
	if got := open.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "cert-A" {
		t.Errorf("the connection opened before shows %s", got)
	}

	must(t, os.WriteFile(cert, []byte("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"), 0o600))
	must(t, cmd.Process.Signal(syscall.SIGHUP))
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "TLS certificate reload failed; the previous certificate stays in force") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the refused reload:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := servedCert(t, addr, ca.pool); got != "cert-B" {
		t.Fatalf("served %s after a broken pair, want cert-B still", got)
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Fatal("the log holds a key")
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
