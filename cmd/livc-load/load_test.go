package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// The tool drives the real broker binary over HTTP against a redis-server
// it starts: every card read and submission must succeed, and it must
// report the broker's memory. Short bounds: this proves the tool works, not
// how fast the broker is (that is make load).
func TestAgainstRealBroker(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is required (.ci/run installs it):", err)
	}
	bin := filepath.Join(t.TempDir(), "livc-broker")
	if out, err := exec.Command("go", "build", "-o", bin, "../livc-broker").CombinedOutput(); err != nil {
		t.Fatalf("building the broker: %v\n%s", err, out)
	}
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
				Persons: 5, Envelopes: 40, Recipient: "x25519", Out: t.TempDir(),
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
