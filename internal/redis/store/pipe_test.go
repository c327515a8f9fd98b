package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// Concurrent reads through the pipe each get their own reply.
func TestReadPipeConcurrent(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		const n = 40
		for i := range n {
			ref := fmt.Sprintf("s_%02d", i)
			for j := range i % 4 {
				id := fmt.Sprintf("sig_%d", j)
				if err := s.PutRecord(ctx, cell, ref, broker.SealedRecord{ID: id, Sealed: []byte(ref + id)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			ref := fmt.Sprintf("s_%02d", i)
			wg.Go(func() {
				d, err := s.ReadSubject(ctx, cell, ref)
				if err != nil || len(d.Sealed) != i%4 {
					errs <- fmt.Errorf("%s: %d records, %v", ref, len(d.Sealed), err)
					return
				}
				for _, r := range d.Sealed {
					if string(r.Sealed) != ref+r.ID {
						errs <- fmt.Errorf("%s: record %s holds %q", ref, r.ID, r.Sealed)
					}
				}
			})
			wg.Go(func() {
				look, err := s.LookupSubject(ctx, cell, []string{"alias-" + ref}, ref)
				if err != nil || look.Ref != ref {
					errs <- fmt.Errorf("lookup %s: %+v, %v", ref, look, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// A script Redis has dropped from its cache (a restart, a failover, SCRIPT
// FLUSH) is loaded again: the read still answers.
func TestReadPipeAfterScriptFlush(t *testing.T) {
	c := redistest.OpenReal(t)
	ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
	if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: "sig_1", Sealed: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if d, err := s.ReadSubject(ctx, cell, "s_a"); err != nil || len(d.Sealed) != 1 {
			t.Fatalf("round %d: %+v, %v", round, d, err)
		}
	}
}

// A caller whose context ends gets its error at once, whatever the pipe is
// doing; an unreachable Redis is an unavailable store.
func TestReadPipeFailures(t *testing.T) {
	c := redistest.OpenReal(t)
	s, cell := New(c), redistest.NewCell(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ReadSubject(ctx, cell, "s_a"); err == nil {
		t.Error("a canceled read answered")
	}
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	if _, err := New(dead).ReadSubject(context.Background(), cell, "s_a"); broker.KindOf(err) != broker.KindUnavailable {
		t.Errorf("unreachable Redis: %v, want an unavailable store", err)
	}
}

// panicOnce is a client hook whose next command or pipeline panics once, as a bug in a
// driver would.
type panicOnce struct{ armed atomic.Bool }

func (h *panicOnce) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *panicOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.armed.CompareAndSwap(true, false) {
			panic("injected")
		}
		return next(ctx, cmd)
	}
}
func (h *panicOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.armed.CompareAndSwap(true, false) {
			panic("injected")
		}
		return next(ctx, cmds)
	}
}

// A read whose send panics (the gateway recovers the request as a 500) must
// not leave the pipe stuck: the next read is answered, not queued forever.
func TestReadPipeAfterPanic(t *testing.T) {
	c := redistest.OpenReal(t).(*redis.Client)
	ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
	if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: "sig_1", Sealed: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	hook := &panicOnce{}
	c.AddHook(hook)
	hook.armed.Store(true)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the injected panic did not reach the reader")
			}
		}()
		s.ReadSubject(ctx, cell, "s_a")
	}()
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if d, err := s.ReadSubject(tctx, cell, "s_a"); err != nil || len(d.Sealed) != 1 {
		t.Fatalf("the read after a panic: %+v, %v", d, err)
	}
}

// Each cell has a read pipeline of its own, so that the MULTI a pipeline
// sends never spans two cells' hash slots on a Redis Cluster.
func TestReadPipePerCell(t *testing.T) {
	s := New(redistest.OpenReal(t))
	a, b := s.reads("livc:{livc:a}:"), s.reads("livc:{livc:b}:")
	if a == b {
		t.Fatal("two cells share a read pipeline")
	}
	if s.reads("livc:{livc:a}:") != a {
		t.Fatal("one cell has two read pipelines")
	}
}
