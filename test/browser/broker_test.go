package browser

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// brokerBinary builds cmd/livc-broker once for the package's tests.
func brokerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "livc-browser-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "livc-broker"), "../../cmd/livc-broker")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("building livc-broker: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "livc-broker")
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

// startRedis starts a redis-server of the test's own on a spare port and
// returns its address; it is stopped when the test ends.
func startRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is required for the browser tests against the broker (.ci/run installs it):", err)
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start on", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil || !strings.Contains(info, fmt.Sprintf("process_id:%d\r\n", cmd.Process.Pid)) {
		t.Fatalf("the Redis answering on %s is not the one this test started: %v", addr, err)
	}
	return addr
}

// brokerProc is a running livc-broker binary.
type brokerProc struct {
	URL  string
	logs *syncBuffer
}

// startBroker runs the real binary on port against Redis at redisAddr,
// with env added to its environment and extra to its flags, and waits for
// /healthz.
func startBroker(t testing.TB, redisAddr string, port int, env []string, extra ...string) *brokerProc {
	t.Helper()
	args := append([]string{"serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--admin-listen", "off",
		"--redis-url", "redis://" + redisAddr + "/0",
		"--data", t.TempDir(), "--log-format", "json"}, extra...)
	cmd := exec.Command(brokerBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logs.WriteLine(sc.Text())
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &brokerProc{URL: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = pw.Close()
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(b.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not start:\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// syncBuffer collects log lines from one goroutine for another.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteLine(line string) {
	s.mu.Lock()
	s.b.WriteString(line + "\n")
	s.mu.Unlock()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
