package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRunAddress: `make run` with LIVC_LISTEN in the environment
// serves there and its banner names that address, never a fixed 8080.
func TestMakeRunAddress(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is required for this test:", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command("make", "--no-print-directory", "run", "BIN="+t.TempDir(), "DATA="+t.TempDir())
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "LIVC_LISTEN="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // make and the broker it starts, stopped together
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = cmd.Stdout
	must(t, cmd.Start())
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner []string
	deadline := time.After(3 * time.Minute) // make builds both binaries first
	for listening := false; !listening; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("make run ended:\n%s", strings.Join(banner, "\n"))
			}
			banner = append(banner, l)
			listening = strings.Contains(l, `msg="livc-broker listening"`)
		case <-deadline:
			t.Fatalf("make run did not start the broker:\n%s", strings.Join(banner, "\n"))
		}
	}
	all := strings.Join(banner, "\n")
	if !strings.Contains(all, "at http://"+addr) || !strings.Contains(all, "LIVC_BROKER=http://"+addr) || !strings.Contains(all, "url=http://"+addr) {
		t.Errorf("the banner does not name %s:\n%s", addr, all)
	}
	if strings.Contains(all, ":8080") {
		t.Errorf("the banner names port 8080 while serving on %s:\n%s", addr, all)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("the broker of make run does not answer on %s: %v\n%s", addr, err, all)
	}
	resp.Body.Close()
}
