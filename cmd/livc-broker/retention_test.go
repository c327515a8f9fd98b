package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClockFor: without LIVC_INSECURE_CLOCK the clock is the real one; with
// it, the offset in the file moves the clock, and is refused with --keys.
func TestClockFor(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(file, []byte("240h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env, keys string
		ahead           time.Duration
		fails           bool
	}{
		{"no clock file: the real time", "", "", 0, false},
		{"development keys: moved by the file", file, "", 240 * time.Hour, false},
		{"with --keys: refused", file, "/etc/livc/keys", 0, true},
		{"a file that is not there: refused", file + ".missing", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(insecureClockEnv, tc.env)
			now, err := clockFor(ctx, serveConf{KeysDir: tc.keys}, log)
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), insecureClockEnv) {
					t.Fatalf("err %v, want a refusal naming %s", err, insecureClockEnv)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := now().Sub(time.Now()) - tc.ahead; d < -time.Minute || d > time.Minute {
				t.Fatalf("clock off by %v", d)
			}
		})
	}
}

// TestRetentionEvery: --retention-every takes 0 or 100ms to 24h.
func TestRetentionEvery(t *testing.T) {
	for v, ok := range map[string]bool{"0": true, "100ms": true, "1h": true, "24h": true, "50ms": false, "25h": false, "-1s": false, "x": false} {
		_, err := parseServe([]string{"--retention-every", v}, func(*flag.FlagSet) {})
		if (err == nil) != ok {
			t.Errorf("--retention-every %s: %v", v, err)
		}
	}
}
