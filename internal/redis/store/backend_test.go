package store

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

// backend is one Redis the tests run against: the real server and the
// embedded miniredis, so the embedded path is proven to behave the same.
type backend struct {
	name string
	open func(t testing.TB) redis.UniversalClient
}

var backends = []backend{
	{name: "redis", open: openReal},
	{name: "miniredis", open: openMini},
}

// openReal connects to 127.0.0.1:6379 or LIVC_TEST_REDIS (an address or a
// redis:// URL), failing the test if it does not answer.
func openReal(t testing.TB) redis.UniversalClient {
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

func openMini(t testing.TB) redis.UniversalClient {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// newCell returns a random cell id whose keys are deleted when the test ends
// (only that cell's keys: never FLUSHDB).
func newCell(t testing.TB, c redis.UniversalClient) string {
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

// forEachBackend runs fn as a subtest on every backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, c redis.UniversalClient)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}
