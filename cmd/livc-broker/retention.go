package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// retentionConf is the schedule of the broker's own erasure of what the
// cells' retention periods say is due (broker/retention_sweep.go).
type retentionConf struct {
	// Every is how often the broker erases what is due; 0 never (another
	// broker on the same Redis must then do it).
	Every time.Duration
}

// flags registers the retention flags on fs and returns a function that
// validates them once fs is parsed.
func (r *retentionConf) flags(fs *flag.FlagSet) func() error {
	every := fs.String("retention-every", envOr("LIVC_RETENTION_EVERY", "1h"),
		"`DURATION` between the broker's runs that erase what the cells' retention: periods say is due (closed dossiers, signals without a dossier), audited retention.expire; from 100ms to 24h, or 0 for none on this broker. Several brokers on one Redis take turns: each item is erased once (env LIVC_RETENTION_EVERY)")
	return func() error {
		d, err := time.ParseDuration(*every)
		if err != nil || d < 0 || d > 24*time.Hour || (d > 0 && d < 100*time.Millisecond) {
			return fmt.Errorf("--retention-every must be 0 or a duration from 100ms to 24h, got %q", *every)
		}
		r.Every = d
		return nil
	}
}

// insecureClockEnv names a file holding an offset (a Go duration, such as
// 4344h) that the broker adds to the real time: for tests that move time
// past a retention period. It is refused unless the broker runs on its
// development keys.
const insecureClockEnv = "LIVC_INSECURE_CLOCK"

// clockFor returns the broker's clock: the real time, or, when
// LIVC_INSECURE_CLOCK names a file and the broker uses its development keys
// (no --keys), the real time plus the offset the file holds, read again
// every 50ms until ctx ends. With --keys it refuses to start.
func clockFor(ctx context.Context, c serveConf, log *slog.Logger) (func() time.Time, error) {
	path := os.Getenv(insecureClockEnv)
	if path == "" {
		return time.Now, nil
	}
	if c.KeysDir != "" {
		return nil, errors.New(insecureClockEnv + " moves the broker's clock and is for tests on development keys only; it is refused with --keys")
	}
	var offset atomic.Int64
	read := func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			return err
		}
		offset.Store(int64(d))
		return nil
	}
	if err := read(); err != nil {
		return nil, fmt.Errorf("%s: %w", insecureClockEnv, err)
	}
	log.Warn("[INSECURE] " + insecureClockEnv + " is set: the broker's clock is moved by the offset in a file; retention, audit times and ages follow it. For tests only")
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = read() // a file being rewritten keeps the previous offset
			}
		}
	}()
	return func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }, nil
}
