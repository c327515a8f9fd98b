package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestStores holds both stores to the Store contract: a record is read
// back until its ttl, Take returns it once, Delete ends it. RedisStore runs
// on real Redis (127.0.0.1:6379 or LIVC_TEST_REDIS), under a prefix of its
// own whose keys are deleted at the end.
func TestStores(t *testing.T) {
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
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("real Redis at %s not reachable (set LIVC_TEST_REDIS): %v", opt.Addr, err)
	}
	prefix := "livc-test:web:" + randomID()[:10] + ":"
	t.Cleanup(func() {
		keys, _ := c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	for name, s := range map[string]Store{"memory": NewMemoryStore(), "redis": RedisStore{Client: c, Prefix: prefix}} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(s.Put(ctx, "a", []byte("one"), time.Minute))
			if v, ok, err := s.Get(ctx, "a"); err != nil || !ok || string(v) != "one" {
				t.Fatalf("Get = %q %v %v", v, ok, err)
			}
			if v, ok, err := s.Take(ctx, "a"); err != nil || !ok || string(v) != "one" {
				t.Fatalf("Take = %q %v %v", v, ok, err)
			}
			if _, ok, err := s.Take(ctx, "a"); err != nil || ok {
				t.Fatalf("a second Take found the record (%v)", err)
			}
			must(s.Put(ctx, "b", []byte("two"), time.Minute))
			must(s.Delete(ctx, "b"))
			if _, ok, _ := s.Get(ctx, "b"); ok {
				t.Fatal("a deleted record is read")
			}
			must(s.Put(ctx, "c", []byte("three"), 50*time.Millisecond))
			time.Sleep(120 * time.Millisecond)
			if _, ok, _ := s.Get(ctx, "c"); ok {
				t.Fatal("an expired record is read")
			}
		})
	}
}
