// Package e2e drives the real livc-broker binary over HTTP against a real
// Redis server, with real signed tokens and real age encryption. Nothing in
// here calls the broker's own policy or release code: expectations are
// computed independently from the cell's configuration.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/redis/go-redis/v9"
)

const (
	issuer   = "livc-e2e"
	audience = "livc-broker"
)

// binDir holds the binaries built once for the package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "livc-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, cmd := range []string{"livc-broker", "livcctl"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../../cmd/"+cmd)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", cmd, ":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if testing.Verbose() {
		fmt.Fprintln(os.Stderr, contractSummary())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a TCP port free on the loopback interface now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// redisServer is a real redis-server on a spare port, owned by one test.
type redisServer struct {
	Addr string
	cmd  *exec.Cmd
	args []string
}

// startRedis starts a redis-server of its own for the test, so that the raw
// scan of its keys sees only what this test's broker wrote.
func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	port := freePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
	r := &redisServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), args: args}
	r.start(t)
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) start(t testing.TB) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is required for the end-to-end tests (.ci/run installs it):", err)
	}
	r.cmd = exec.Command(bin, r.args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start on", r.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The port was free when it was picked, but another test package's
	// server may have taken it since: the one answering must be ours.
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("process_id:%d\r\n", r.cmd.Process.Pid); !strings.Contains(info, want) {
		t.Fatalf("the Redis answering on %s is not the redis-server this test started (pid %d)", r.Addr, r.cmd.Process.Pid)
	}
}

// holdPort keeps addr bound while a test's Redis is down, closing every
// connection at once as a stopped server's port refuses them, so that no
// server of another test package takes the port meanwhile. release frees it.
func holdPort(t testing.TB, addr string) (release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("holding %s while Redis is down: %v", addr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return func() { ln.Close(); <-done }
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// issuerKey signs the test's access tokens; its public half is the JWKS the
// broker is started with.
type issuerKey struct {
	priv     jwk.Key
	jwksPath string
}

func newIssuer(t testing.TB) *issuerKey {
	t.Helper()
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	must(t, priv.Set(jwk.KeyIDKey, "e2e-1"))
	must(t, priv.Set(jwk.AlgorithmKey, jwa.EdDSA()))
	pub, err := priv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	must(t, set.AddKey(pub))
	js, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	must(t, os.WriteFile(path, js, 0o644))
	return &issuerKey{priv: priv, jwksPath: path}
}

// token mints a token for actor of livc; mutate may change any claim.
func (k *issuerKey) token(t testing.TB, livc, actor string, mutate ...func(*jwt.Builder)) string {
	t.Helper()
	b := jwt.NewBuilder().
		Issuer(issuer).Audience([]string{audience}).Subject(actor+"-person").
		IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).
		Claim("livc", livc).Claim("actor", actor)
	for _, m := range mutate {
		m(b)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), k.priv))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// brokerProc is a running livc-broker binary.
type brokerProc struct {
	URL string
	// Admin is the base URL of the admin listener (/metrics); each broker
	// gets a free port, as many run at once.
	Admin string
	cmd   *exec.Cmd
	logs  *bytes.Buffer
}

// startBroker runs the real binary against redisAddr with the issuer's JWKS
// (none when iss is nil).
func startBroker(t testing.TB, redisAddr string, iss *issuerKey, extra ...string) *brokerProc {
	t.Helper()
	port, admin := freePort(t), freePort(t)
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--listen" { // a test that must know the URL first (the web sign-in's redirect URL)
			fmt.Sscanf(extra[i+1], "127.0.0.1:%d", &port)
		}
	}
	data := t.TempDir()
	args := []string{"serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--admin-listen", fmt.Sprintf("127.0.0.1:%d", admin),
		"--redis-url", "redis://" + redisAddr + "/0",
		"--data", data, "--log-format", "json"}
	if iss != nil { // nil: the test names the keys itself (--oidc-issuer)
		args = append(args, "--jwks", iss.jwksPath, "--issuer", issuer, "--audience", audience)
	}
	args = append(args, extra...)
	cmd := exec.Command(filepath.Join(binDir, "livc-broker"), args...)
	logs := &bytes.Buffer{}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &brokerProc{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Admin: fmt.Sprintf("http://127.0.0.1:%d", admin), cmd: cmd, logs: logs}
	t.Cleanup(func() {
		// The port may serve another process later (another broker's
		// admin listener): its answers are not this broker's contract.
		contracts.Delete(hostOf(b.URL))
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		pw.Close()
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(b.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				loadContract(t, b.URL) // do checks every answer against it
				return b
			}
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("broker did not start:\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// response is an answer of the broker.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer is not JSON (%d): %v: %s", r.Status, err, r.Body)
	}
}

// do sends one request; headers go as name, value pairs.
func do(t testing.TB, method, url string, body []byte, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	checkContract(t, req, r)
	return r
}

// seal encrypts plaintext with age to recipient, armored or not.
func seal(t testing.TB, recipient string, plaintext []byte) []byte {
	t.Helper()
	rs, err := age.ParseRecipients(strings.NewReader(recipient))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		t.Fatal(err)
	}
	must(t, w.Close())
	return buf.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// drain reads and closes a body so the connection is reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
