package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"
)

func entry(cell string, i int) *broker.AuditEntry {
	return &broker.AuditEntry{
		ID: fmt.Sprintf("aud_%d", i), Time: time.Date(2026, 11, 20, 9, 0, i, 0, time.FixedZone("CET", 3600)),
		RequestID: fmt.Sprintf("req_%d", i), Livc: cell, Actor: "police", Sub: "officer-1",
		Action: "card.read", Purpose: "case_conference", SubjectRef: "s_a", Decision: broker.DecisionAllow,
		Released: []string{"presence"}, Withheld: []string{"health_note"}, PolicyRevision: "rev1",
	}
}

// streamEntries reads the whole stream raw, in log order.
func streamEntries(t *testing.T, c redis.UniversalClient, cell string) []redis.XMessage {
	t.Helper()
	key, err := StreamKey(cell)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := c.XRange(context.Background(), key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestAppendConcurrentGapless(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		// Two Logs on one Redis stand for two broker processes: their
		// appends race on the counter, not just on an in-process lock.
		logs := []*Log{New(c), New(c)}
		const appenders, each = 32, 10
		got := make(chan int64, appenders*each)
		var wg sync.WaitGroup
		for g := range appenders {
			wg.Go(func() {
				for i := range each {
					e := entry(cell, g*each+i)
					if err := logs[g%2].Append(ctx, e); err != nil {
						t.Error(err)
						return
					}
					got <- e.Index
				}
			})
		}
		wg.Wait()
		close(got)
		var idx []int64
		for i := range got {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		for i, v := range idx {
			if v != int64(i) {
				t.Fatalf("returned indexes not 0..%d without gaps: at %d got %d", appenders*each-1, i, v)
			}
		}
		msgs := streamEntries(t, c, cell)
		if len(msgs) != appenders*each {
			t.Fatalf("stream holds %d entries, want %d", len(msgs), appenders*each)
		}
		for i, m := range msgs {
			e, err := decode(m)
			if err != nil || e.Index != int64(i) {
				t.Fatalf("stream position %d holds index %d (%v)", i, e.Index, err)
			}
		}
	})
}

func TestLeafHashRecomputable(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell, l := context.Background(), redistest.NewCell(t, c), New(c)
		e := entry(cell, 1)
		e.Reason = "<script> & \u2028 ü" // escaping must not break the hash
		if err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.Index != 0 || len(e.LeafHash) != 64 || e.Time.Location() != time.UTC {
			t.Fatalf("append set index %d leaf %q time %v", e.Index, e.LeafHash, e.Time)
		}
		msgs := streamEntries(t, c, cell)
		raw := []byte(msgs[0].Values["entry"].(string))
		sum := sha256.Sum256(append([]byte{0}, raw...))
		if want := hex.EncodeToString(sum[:]); want != e.LeafHash || msgs[0].Values["leaf"] != want {
			t.Fatalf("leaf hash %s, stored %v, recomputed %s", e.LeafHash, msgs[0].Values["leaf"], want)
		}
		var stored map[string]any
		if err := json.Unmarshal(raw, &stored); err != nil {
			t.Fatal(err)
		}
		if _, ok := stored["leaf_hash"]; ok || stored["index"] != float64(0) {
			t.Fatalf("stored JSON: %s", raw)
		}
		// Decoding and re-encoding the stored entry gives the same bytes.
		back, err := decode(msgs[0])
		if err != nil {
			t.Fatal(err)
		}
		again, err := Canonical(back)
		if err != nil || string(again) != string(raw) {
			t.Fatalf("re-encoded %s\nstored     %s", again, raw)
		}
	})
}

func TestAppendReplayIsIdempotent(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		key, _ := StreamKey(cell)
		l := New(c)
		st := &stream{key: key, cache: map[int64]tlog.Hash{}}
		batch := []*pending{mustPending(t, ctx, entry(cell, 0), nil), mustPending(t, ctx, entry(cell, 1), nil)}
		keys, args, _, err := l.prepare(ctx, st, batch)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second run is a retried script whose reply was lost
			r, err := runBatch(ctx, c, keys, args)
			if err != nil || r.status != statusDone || r.written != 2 {
				t.Fatalf("append: %+v %v", r, err)
			}
		}
		if n := len(streamEntries(t, c, cell)); n != 2 {
			t.Fatalf("replay wrote %d entries", n)
		}
		// A different batch at a stale index is a conflict, told the counter.
		okeys, other, _, err := l.prepare(ctx, st, []*pending{mustPending(t, ctx, entry(cell, 5), nil)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := runBatch(ctx, c, okeys, other)
		if err != nil || r.status != statusConflict || r.base != 2 || r.written != 0 {
			t.Fatalf("stale append: %+v %v", r, err)
		}
		// A fresh Log (another process) starts at 0 and catches up.
		e2 := entry(cell, 2)
		if err := New(c).Append(ctx, e2); err != nil || e2.Index != 2 {
			t.Fatalf("catch up: index %d %v", e2.Index, err)
		}
	})
}

func TestBrokerStream(t *testing.T) {
	want := "livc:{livc:_broker}:audit"
	if k, err := StreamKey(""); err != nil || k != want || New(nil).brokerStream != want {
		t.Fatalf("StreamKey(\"\") = %q %v", k, err)
	}
	if k, err := StreamKey("gent"); err != nil || k != "livc:{livc:gent}:audit" {
		t.Fatalf("StreamKey(gent) = %q %v", k, err)
	}
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, l, cell := context.Background(), New(c), redistest.NewCell(t, c)
		// Stand-in for the broker stream, in this test's own key space: the
		// real one on a shared Redis belongs to whoever runs the broker.
		l.brokerStream = "livc:{livc:" + cell + "}:broker-audit"
		e := entry("", 0)
		e.Action, e.Decision = "auth.fail", broker.DecisionDeny
		if err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, entry(cell, 1)); err != nil {
			t.Fatal(err)
		}
		got, _, err := l.List(ctx, broker.AuditQuery{})
		if err != nil || len(got) != 1 || got[0].Action != "auth.fail" || got[0].Index != 0 {
			t.Fatalf("broker stream: %+v %v", got, err)
		}
		got, _, err = l.List(ctx, broker.AuditQuery{Livc: cell})
		if err != nil || len(got) != 1 || got[0].Action != "card.read" || got[0].Index != 0 {
			t.Fatalf("cell stream: %+v %v", got, err)
		}
		for _, bad := range []string{"_broker", "a{b", "c}"} {
			if err := l.Append(ctx, entry(bad, 0)); err == nil {
				t.Errorf("cell %q accepted", bad)
			}
		}
	})
}

func TestAppendClosedClient(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		l, cell := New(c), redistest.NewCell(t, c)
		c.Close()
		e := entry(cell, 0)
		err := l.Append(context.Background(), e)
		if err == nil || broker.KindOf(err) != broker.KindUnavailable {
			t.Fatalf("append on closed client: %v", err)
		}
		if e.LeafHash != "" || e.Index != 0 {
			t.Fatalf("failed append left index %d leaf %q", e.Index, e.LeafHash)
		}
		if _, _, err := l.List(context.Background(), broker.AuditQuery{Livc: cell}); err == nil {
			t.Fatal("list on closed client succeeded")
		}
		if err := l.Ping(context.Background()); err == nil {
			t.Fatal("ping on closed client succeeded")
		}
	})
}

func TestAppendCanceledContext(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := New(c).Append(ctx, entry(redistest.NewCell(t, c), 0)); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
}
