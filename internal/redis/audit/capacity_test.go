package audit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// TestCapacityWarning checks that a checkpoint signed once the log has
// reached Conf.CapacityWarning logs a warning, and one signed before does
// not, so an operator hears of a log nearing Capacity before appends fail.
func TestCapacityWarning(t *testing.T) {
	if want := int64(8 << 20); Capacity != want {
		t.Fatalf("Capacity = %d, want %d (512 MiB of 32-byte hashes, two per entry)", Capacity, want)
	}
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		var logged bytes.Buffer
		l := signedLog(t, c, 0)
		l.conf.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		l.conf.CapacityWarning = 10
		ctx, cell := context.Background(), redistest.NewCell(t, c)
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

// TestFullLogRefusesWholly fills a log whose tree is made small and checks
// that the entry that would pass it is refused with ErrLogFull (503) with
// nothing of it or its write stored, the head where it was, and the log
// still verifying: Redis's own refusal of a string past its largest would
// come only after the script had written the entry and its write.
func TestFullLogRefusesWholly(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := signedLog(t, c, 0)
		l.maxTree = tlog.StoredHashCount(10) * tlog.HashSize
		appendN(t, l, cell, 0, 10)
		err := l.Commit(ctx, entry(cell, 10), createPlan(cell, "c1"))
		if !errors.Is(err, ErrLogFull) || broker.KindOf(err) != broker.KindUnavailable {
			t.Fatalf("an append past the tree's size: %v, want ErrLogFull as KindUnavailable", err)
		}
		if n := len(streamEntries(t, c, cell)); n != 10 {
			t.Fatalf("the stream holds %d entries, want 10", n)
		}
		p := "livc:{livc:" + cell + "}:"
		if k := c.Exists(ctx, p+"case:c1", p+"cases:seq").Val(); k != 0 {
			t.Fatalf("%d keys of the refused write exist", k)
		}
		if rep := mustVerify(t, l, cell); !rep.OK || rep.Size != 10 {
			t.Fatalf("the full log does not verify at 10 entries: %+v", rep)
		}
	})
}
