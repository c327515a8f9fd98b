// Package cache is the one in-memory cache of the broker: a bounded map,
// safe for concurrent use, that evicts the least recently used entry when
// full and forgets an entry at its own expiry, if it has one.
//
// It is a leaf: it imports nothing of this project, so any package may use
// it. The data key cache of keys, the decision cache of policy, the cache of
// verified tokens of token and the roster cache of the Redis store are all
// one of these, each with its own bound, expiry and invalidation.
package cache

import (
	"container/list"
	"sync"
	"time"
)

// Cache maps keys K to values V. An entry put with a non-zero expiry is a
// miss from that instant on (it is hit only strictly before it), and is
// dropped when found expired. The cache holds at most its bound of entries:
// putting a new key into a full cache first forgets every expired entry, if
// an expiry has passed, and then, if still full, the least recently used
// entry (got or put). The zero Cache is not usable: make one with New.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	order   *list.List // of *entry[K, V], most recently used first
	entries map[K]*list.Element
	// soonest is no later than the earliest expiry held (zero: none held),
	// so that a full cache sweeps only when an entry may have expired.
	soonest time.Time
}

type entry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time // zero: never
}

// New returns an empty cache of at most size entries (at least one), whose
// expiries are read on now (time.Now when nil).
func New[K comparable, V any](size int, now func() time.Time) *Cache[K, V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{max: max(size, 1), now: now, order: list.New(), entries: make(map[K]*list.Element)}
}

// Get returns the value of k and true, or the zero V and false when k is
// absent or expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		var zero V
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		c.remove(el)
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.val, true
}

// Put sets k to v until expires (the zero time: until evicted), replacing
// what k held, and evicts the least recently used entries past the bound.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	} else if c.order.Len() >= c.max && !c.soonest.IsZero() && !c.now().Before(c.soonest) {
		c.sweep()
	}
	if !expires.IsZero() && (c.soonest.IsZero() || expires.Before(c.soonest)) {
		c.soonest = expires
	}
	c.entries[k] = c.order.PushFront(&entry[K, V]{key: k, val: v, expires: expires})
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

// Delete forgets k.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
}

// DeleteFunc forgets every entry for which drop is true and returns how
// many it forgot. drop is called with the cache locked: it must not use the
// cache.
func (c *Cache[K, V]) DeleteFunc(drop func(K, V) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry[K, V]); drop(e.key, e.val) {
			c.remove(el)
			n++
		}
		el = next
	}
	return n
}

// Len is the number of entries held, expired ones not yet dropped
// included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// sweep forgets every expired entry and sets soonest to the earliest
// expiry left.
func (c *Cache[K, V]) sweep() {
	now := c.now()
	c.soonest = time.Time{}
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		switch e := el.Value.(*entry[K, V]); {
		case e.expires.IsZero():
		case !now.Before(e.expires):
			c.remove(el)
		case c.soonest.IsZero() || e.expires.Before(c.soonest):
			c.soonest = e.expires
		}
		el = next
	}
}

func (c *Cache[K, V]) remove(el *list.Element) {
	delete(c.entries, el.Value.(*entry[K, V]).key)
	c.order.Remove(el)
}
