package keys

import (
	"container/list"
	"crypto/cipher"
	"sync"
	"time"
)

// dataKeyCache keeps unwrapped data keys, ready as AEADs, keyed by the
// SHA-256 of their wrapped form. It holds at most max entries, evicting the
// least recently used, and forgets each ttl after it was unwrapped, however
// often it is used. Only keys that unwrapped correctly enter it, so a hit
// needs no further check.
type dataKeyCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	order   *list.List // of *cacheEntry, most recently used first
	entries map[[32]byte]*list.Element
}

type cacheEntry struct {
	key     [32]byte
	aead    cipher.AEAD
	epoch   uint32 // the key epoch it was unwrapped under (0: format 1)
	expires time.Time
}

func newDataKeyCache(max int, ttl time.Duration) *dataKeyCache {
	return &dataKeyCache{
		max: max, ttl: ttl, now: time.Now,
		order: list.New(), entries: make(map[[32]byte]*list.Element),
	}
}

func (c *dataKeyCache) get(k [32]byte) (cipher.AEAD, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.aead, true
}

func (c *dataKeyCache) put(k [32]byte, aead cipher.AEAD, epoch uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
	c.entries[k] = c.order.PushFront(&cacheEntry{key: k, aead: aead, epoch: epoch, expires: c.now().Add(c.ttl)})
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

func (c *dataKeyCache) forget(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
}

// forgetEpochsBefore drops every data key unwrapped under an epoch before e:
// their epoch keys are destroyed.
func (c *dataKeyCache) forgetEpochsBefore(e uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cacheEntry).epoch < e {
			c.remove(el)
		}
		el = next
	}
}

func (c *dataKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *dataKeyCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*cacheEntry).key)
	c.order.Remove(el)
}
