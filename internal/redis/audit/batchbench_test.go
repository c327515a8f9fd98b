package audit

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"
)

// startRedisServer starts a redis-server of the benchmark's own with
// appendonly yes and the given appendfsync (appendonly no if ""), on a
// spare port, and stops it when the benchmark ends.
func startRedisServer(b testing.TB, fsync string) redis.UniversalClient {
	b.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		b.Skip("redis-server not on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", b.TempDir()}
	if fsync == "" {
		args = append(args, "--appendonly", "no")
	} else {
		args = append(args, "--appendonly", "yes", "--appendfsync", fsync)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: 64})
	b.Cleanup(func() { c.Close() })
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			b.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

// BenchmarkAppendBatching appends from 32 goroutines (one broker process
// under load) with batching and with one round trip per entry, against Redis
// with appendfsync always and everysec, in the same run. Figures: entries/s.
func BenchmarkAppendBatching(b *testing.B) {
	for _, fsync := range []string{"always", "everysec"} {
		c := startRedisServer(b, fsync)
		for _, mode := range []struct {
			name  string
			batch int
		}{{"batched", 256}, {"one-per-round-trip", 1}} {
			b.Run("fsync="+fsync+"/"+mode.name, func(b *testing.B) {
				l := NewWith(c, Conf{MaxBatch: mode.batch})
				cell := redistest.NewCell(b, c)
				ctx := context.Background()
				b.SetParallelism(16) // 32 goroutines on 2 cores
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for i := 0; pb.Next(); i++ {
						if err := l.Append(ctx, entry(cell, i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
			})
		}
	}
}

// BenchmarkVerify builds a log of LIVC_BENCH_VERIFY_N entries (default
// 100,000; 1,000,000 for the figure of the issue) and reports the time to
// verify it as a ratio of the time to just read the stream.
func BenchmarkVerify(b *testing.B) {
	n := 100_000
	if v := os.Getenv("LIVC_BENCH_VERIFY_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	c := startRedisServer(b, "everysec")
	skey, vkey, _ := note.GenerateKey(rand.Reader, "livc-broker")
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	l := NewWith(c, Conf{Signer: s, Verifier: v, MaxBatch: 1024})
	cell := "bench"
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for g := range 64 {
		wg.Go(func() {
			for i := g; i < n; i += 64 {
				if err := l.Append(ctx, entry(cell, i)); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	if _, err := l.Checkpoint(ctx, cell, true); err != nil {
		b.Fatal(err)
	}
	key, _ := StreamKey(cell)
	var read, verify time.Duration
	for b.Loop() {
		t0 := time.Now()
		for start := "-"; ; {
			msgs, err := c.XRangeN(ctx, key, start, "+", verifyChunk).Result()
			if err != nil {
				b.Fatal(err)
			}
			if len(msgs) < verifyChunk {
				break
			}
			start = "(" + msgs[len(msgs)-1].ID
		}
		t1 := time.Now()
		rep, err := l.Verify(ctx, cell, 0)
		if err != nil || !rep.OK || rep.Size != int64(n) {
			b.Fatalf("verify: %+v %v", rep, err)
		}
		read += t1.Sub(t0)
		verify += time.Since(t1)
	}
	b.ReportMetric(read.Seconds()/float64(b.N), "read-s")
	b.ReportMetric(verify.Seconds()/float64(b.N), "verify-s")
	b.ReportMetric(float64(verify)/float64(read), "verify/read")
}
