package cache

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestGetPut(t *testing.T) {
	c := New[string, int](3, nil)
	if _, ok := c.Get("a"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put("a", 1, time.Time{})
	c.Put("a", 2, time.Time{})
	if v, ok := c.Get("a"); !ok || v != 2 || c.Len() != 1 {
		t.Fatalf("got %d %v, %d entries; want 2 true, 1 entry", v, ok, c.Len())
	}
	c.Delete("a")
	c.Delete("absent")
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Fatal("deleted entry still held")
	}
}

func TestLeastRecentlyUsedEvicted(t *testing.T) {
	tests := []struct {
		name  string
		touch []string // got after a, b, c are put, before d is
		gone  string
	}{
		{"oldest put", nil, "a"},
		{"a got since", []string{"a"}, "b"},
		{"a and b got since", []string{"b", "a"}, "c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New[string, int](3, nil)
			for i, k := range []string{"a", "b", "c"} {
				c.Put(k, i, time.Time{})
			}
			for _, k := range tc.touch {
				c.Get(k)
			}
			c.Put("d", 3, time.Time{})
			if c.Len() != 3 {
				t.Fatalf("%d entries, bound 3", c.Len())
			}
			for _, k := range []string{"a", "b", "c", "d"} {
				if _, ok := c.Get(k); ok == (k == tc.gone) {
					t.Errorf("%s held %v", k, ok)
				}
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	c := New[string, int](4, clk.now)
	c.Put("short", 1, clk.t.Add(time.Minute))
	c.Put("never", 2, time.Time{})
	clk.t = clk.t.Add(time.Minute - time.Nanosecond)
	if _, ok := c.Get("short"); !ok {
		t.Fatal("miss before the expiry")
	}
	clk.t = clk.t.Add(time.Nanosecond)
	if _, ok := c.Get("short"); ok {
		t.Fatal("hit at the expiry")
	}
	if c.Len() != 1 {
		t.Fatalf("%d entries, want the expired one dropped", c.Len())
	}
	clk.t = clk.t.Add(1000 * time.Hour)
	if _, ok := c.Get("never"); !ok {
		t.Fatal("an entry without expiry expired")
	}
}

// A full cache forgets its expired entries before a live one, and only
// sweeps once an expiry has passed.
func TestFullCacheForgetsExpiredFirst(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	c := New[string, int](3, clk.now)
	c.Put("live", 0, time.Time{})
	c.Put("x", 1, clk.t.Add(time.Minute))
	c.Put("y", 2, clk.t.Add(2*time.Minute))
	c.Get("x")
	c.Get("y") // "live" is the least recently used
	clk.t = clk.t.Add(2 * time.Minute)
	c.Put("new", 3, time.Time{})
	if c.Len() != 2 {
		t.Fatalf("%d entries, want the two expired ones swept", c.Len())
	}
	if _, ok := c.Get("live"); !ok {
		t.Fatal("a live entry was evicted while expired ones were held")
	}
	// Nothing expired: the least recently used goes.
	c.Put("z", 4, clk.t.Add(time.Hour))
	c.Put("w", 5, time.Time{})
	if _, ok := c.Get("new"); ok || c.Len() != 3 {
		t.Fatalf("%d entries, want 3 and new evicted", c.Len())
	}
}

func TestDeleteFunc(t *testing.T) {
	c := New[int, int](10, nil)
	for i := range 10 {
		c.Put(i, i*i, time.Time{})
	}
	if n := c.DeleteFunc(func(k, v int) bool { return k%2 == 0 && v == k*k }); n != 5 {
		t.Fatalf("deleted %d, want 5", n)
	}
	for i := range 10 {
		if _, ok := c.Get(i); ok != (i%2 == 1) {
			t.Errorf("%d held %v", i, ok)
		}
	}
}

func TestMinimumSize(t *testing.T) {
	c := New[int, int](0, nil)
	c.Put(1, 1, time.Time{})
	c.Put(2, 2, time.Time{})
	if _, ok := c.Get(2); !ok || c.Len() != 1 {
		t.Fatalf("a cache of size 0 holds %d, want the last one", c.Len())
	}
}

// Run with -race: concurrent use keeps the bound and loses no update.
func TestConcurrent(t *testing.T) {
	c := New[string, int](64, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := fmt.Sprint(i % 100)
				c.Put(k, g, time.Time{})
				c.Get(k)
				if i%50 == 0 {
					c.DeleteFunc(func(string, int) bool { return false })
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 64 {
		t.Fatalf("%d entries, bound 64", c.Len())
	}
}

func BenchmarkGetHit(b *testing.B) {
	c := New[string, int](1024, nil)
	c.Put("k", 1, time.Time{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get("k")
		}
	})
}
