package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/livc/livc-broker/internal/token"
)

// Tokens of the load run: the broker trusts a JWKS the tool writes, and the
// tool signs one token per simulated person with its private half.
const (
	issuer   = "livc-load"
	audience = "livc-broker"
)

// freePort returns a TCP port free on the loopback interface now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// proc is a child process the tool started; stop ends it.
type proc struct {
	cmd *exec.Cmd
	log *os.File
}

func (p *proc) stop() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	if p.log != nil {
		p.log.Close()
	}
}

// start runs bin with args, its output to a log file in dir.
func start(dir, name, bin string, args ...string) (*proc, error) {
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &proc{cmd: cmd, log: f}, nil
}

// startRedis starts a redis-server of the tool's own on a spare loopback
// port, without persistence, and returns its address.
func startRedis(dir string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", fmt.Errorf("redis-server is needed (or give -redis-url): %w", err)
	}
	p, err := start(dir, "redis", bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitTCP(addr, 10*time.Second); err != nil {
		p.stop()
		return nil, "", fmt.Errorf("redis-server: %w", err)
	}
	return p, addr, nil
}

func waitTCP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not reachable after %v", addr, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokerProc is the real livc-broker binary, started by the tool.
type brokerProc struct {
	*proc
	URL   string
	Pprof string // base URL of /debug/pprof/, when asked
}

// startBroker runs bin serve against redisURL with the tool's keys and
// JWKS, on the embedded demo cell, and waits until it is ready.
func startBroker(dir, bin, redisURL, keysDir, jwks string, pprof bool) (*brokerProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--redis-url", redisURL, "--keys", keysDir, "--jwks", jwks,
		"--issuer", issuer, "--audience", audience,
		"--data", filepath.Join(dir, "data"), "--log-format", "json",
		// The load tool measures the broker at full speed from a few
		// principals: the per-principal rate limit would measure itself.
		"--rate-limit", "0", "--actor-rate-limit", "0",
		// Several brokers may run at once: none takes the default metrics port.
		"--admin-listen", "off"}
	b := &brokerProc{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if pprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", pp)
		args = append(args, "--pprof", addr)
		b.Pprof = "http://" + addr + "/debug/pprof/"
	}
	p, err := start(dir, "broker", bin, args...)
	if err != nil {
		return nil, err
	}
	b.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(b.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return b, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("broker did not become ready; see %s", filepath.Join(dir, "broker.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rss reads the resident set and its peak (VmRSS, VmHWM, in KiB) of pid.
func rss(pid int) (cur, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			cur = n
		case "VmHWM":
			peak = n
		}
	}
	return cur, peak
}

// issuerKeys is the tool's token issuer: a fresh signing key and the path of
// its public JWKS.
type issuerKeys struct {
	priv jwk.Key
	jwks string
}

func newIssuer(dir string) (*issuerKeys, error) {
	priv, set, err := token.GenerateDevKey("load-1")
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		return nil, err
	}
	return &issuerKeys{priv: priv, jwks: path}, nil
}

// tokens returns n tokens of actor in livc, one per simulated person
// (sub "<actor>-load-<i>"), valid for ttl.
func (k *issuerKeys) tokens(livc, actor string, n int, ttl time.Duration) ([]string, error) {
	now := time.Now().Truncate(time.Second)
	out := make([]string, n)
	for i := range out {
		t, err := token.Issue(k.priv, token.Claims{
			Sub: fmt.Sprintf("%s-load-%d", actor, i), Livc: livc, Actor: actor,
			Issuer: issuer, Audience: audience, IssuedAt: now, Expires: now.Add(ttl),
		})
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// bearer picks the i-th token of a pool.
func bearer(pool []string, i int) string { return "Bearer " + pool[i%len(pool)] }
