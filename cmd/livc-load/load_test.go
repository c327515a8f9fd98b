package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// built is the broker binary the tests of the real broker share, built once
// into a folder TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// brokerBinary builds cmd/livc-broker once per test binary; it needs
// redis-server on the PATH too, which the tool starts.
func brokerBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is required (.ci/run installs it):", err)
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "livc-load-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "livc-broker")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, "../livc-broker").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("building the broker: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// The tool drives the real broker binary over HTTP against a redis-server
// it starts: every card read and submission must succeed, and it must
// report the broker's memory. Short bounds: this proves the tool works, not
// how fast the broker is (that is make load).
func TestAgainstRealBroker(t *testing.T) {
	bin := brokerBinary(t)
	tests := []struct {
		scenario string
		want     *regexp.Regexp
	}{
		{"card", regexp.MustCompile(`statuses 200:\d+; server RSS \d+\.\d MB`)},
		{"submit", regexp.MustCompile(`statuses 201:\d+; server RSS \d+\.\d MB`)},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			var out bytes.Buffer
			o := options{
				Scenario: tt.scenario, Broker: bin, Concurrency: 4, Requests: 300, Duration: 20 * time.Second,
				Persons: 5, Envelopes: 700, Recipient: "x25519", Out: t.TempDir(), // each envelope sent once
			}
			if err := runMain(context.Background(), o, &out); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !tt.want.MatchString(out.String()) {
				t.Fatalf("output does not match %v (a failed request shows as another status):\n%s", tt.want, out.String())
			}
		})
	}
}
