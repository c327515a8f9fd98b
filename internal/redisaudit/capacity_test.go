package redisaudit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCapacityWarning checks that a checkpoint signed once the log has
// reached Conf.CapacityWarning logs a warning, and one signed before does
// not, so an operator hears of a log nearing Capacity before appends fail.
func TestCapacityWarning(t *testing.T) {
	if want := int64(8 << 20); Capacity != want {
		t.Fatalf("Capacity = %d, want %d (512 MiB of 32-byte hashes, two per entry)", Capacity, want)
	}
	forEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		var logged bytes.Buffer
		l := signedLog(t, c, 0)
		l.conf.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		l.conf.CapacityWarning = 10
		ctx, cell := context.Background(), newCell(t, c)
		appendN(t, l, cell, 0, 9)
		if _, err := l.Checkpoint(ctx, cell, true); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logged.String(), "nears its capacity") {
			t.Fatalf("warned at 9 entries of a threshold of 10:\n%s", logged.String())
		}
		appendN(t, l, cell, 9, 1)
		if _, err := l.Checkpoint(ctx, cell, true); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logged.String(), "nears its capacity") || !strings.Contains(logged.String(), "size=10") {
			t.Fatalf("no warning at 10 entries of a threshold of 10:\n%s", logged.String())
		}
	})
	if got := NewWith(nil, Conf{}).conf.CapacityWarning; got != Capacity/4*3 {
		t.Fatalf("default CapacityWarning = %d, want %d", got, Capacity/4*3)
	}
}
