package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// TestTileNotFound checks that every tile or bundle the log does not hold
// is broker.ErrNotFound, never another error: past the end, wider than the
// log, of a level it has not reached, and an index so large that its first
// entry overflows an int64.
func TestTileNotFound(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := signedLog(t, c, 0)
		appendN(t, l, cell, 0, 3)
		if _, err := l.Tile(ctx, cell, tlog.Tile{H: 8, L: 0, N: 0, W: 3}); err != nil {
			t.Fatalf("the partial tile the log holds: %v", err)
		}
		for _, tc := range []struct {
			name string
			tile tlog.Tile
		}{
			{"wider than the log", tlog.Tile{H: 8, L: 0, N: 0, W: 4}},
			{"past the end", tlog.Tile{H: 8, L: 0, N: 1, W: 1}},
			{"a bundle past the end", tlog.Tile{H: 8, L: -1, N: 1, W: 1}},
			{"a level not reached", tlog.Tile{H: 8, L: 1, N: 0, W: 1}},
			{"an overflowing tile", tlog.Tile{H: 8, L: 0, N: 1 << 55, W: 256}},
			{"an overflowing bundle", tlog.Tile{H: 8, L: -1, N: 1 << 55, W: 256}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := auditlog.ParseTilePath(auditlog.TilePath(tc.tile)); err != nil {
					t.Fatalf("%s is not a path a client can send: %v", auditlog.TilePath(tc.tile), err)
				}
				if _, err := l.Tile(ctx, cell, tc.tile); !errors.Is(err, broker.ErrNotFound) {
					t.Fatalf("%s: %v, want broker.ErrNotFound", auditlog.TilePath(tc.tile), err)
				}
			})
		}
	})
}
