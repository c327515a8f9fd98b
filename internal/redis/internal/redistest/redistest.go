// Package redistest is the Redis the tests of internal/redis run against:
// the real server and the embedded miniredis (the broker's laptop mode), so
// that the embedded path is proven to behave the same, and a fresh cell per
// test whose keys are deleted when it ends. It is for tests only: nothing
// but the _test.go files of internal/redis imports it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Backend is one Redis the tests run against.
type Backend struct {
	Name string
	Open func(t testing.TB) redis.UniversalClient
}

// Backends are the real server (OpenReal) and the embedded one (OpenMini).
var Backends = []Backend{
	{Name: "redis", Open: OpenReal},
	{Name: "miniredis", Open: OpenMini},
}

// OpenReal connects to 127.0.0.1:6379 or LIVC_TEST_REDIS (an address or a
// redis:// URL), failing the test if it does not answer.
func OpenReal(t testing.TB) redis.UniversalClient {
	t.Helper()
	addr := os.Getenv("LIVC_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	opt := &redis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opt, err = redis.ParseURL(addr); err != nil {
			t.Fatalf("LIVC_TEST_REDIS: %v", err)
		}
	}
	c := redis.NewClient(opt)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("real Redis at %s not reachable (set LIVC_TEST_REDIS): %v", opt.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// OpenMini starts a miniredis for the test and connects to it.
func OpenMini(t testing.TB) redis.UniversalClient {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// NewCell returns a random cell id whose keys are deleted when the test ends
// (only that cell's keys: never FLUSHDB).
func NewCell(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	cell := "test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		it := c.Scan(ctx, 0, "livc:{livc:"+cell+"}:*", 1000).Iterator()
		for it.Next(ctx) {
			c.Del(ctx, it.Val())
		}
	})
	return cell
}

// ForEachBackend runs fn as a subtest on every backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, c redis.UniversalClient)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}
