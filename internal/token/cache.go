package token

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
)

// verified caches tokens that passed verification, keyed by the SHA-256 of
// the raw token (never the token itself). An entry is used only strictly
// before the token's exp. It is bounded: when full it drops expired entries
// and, if none, an arbitrary one.
type verified struct {
	mu      sync.RWMutex
	max     int
	entries map[[sha256.Size]byte]broker.Principal
}

func newVerified(max int) *verified {
	if max <= 0 {
		return nil
	}
	return &verified{max: max, entries: make(map[[sha256.Size]byte]broker.Principal, min(max, 1024))}
}

// get returns the principal of a token verified before, if still unexpired.
func (c *verified) get(key [sha256.Size]byte, now time.Time) (broker.Principal, bool) {
	c.mu.RLock()
	p, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !now.Before(p.Expires) {
		return broker.Principal{}, false
	}
	return p, true
}

func (c *verified) put(key [sha256.Size]byte, p broker.Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = p
}

// evict frees room: every expired entry, or else one arbitrary entry. Only
// verified tokens are inserted, so a stranger cannot force this path.
func (c *verified) evict(now time.Time) {
	var any1 [sha256.Size]byte
	picked, freed := false, false
	for k, p := range c.entries {
		if !now.Before(p.Expires) {
			delete(c.entries, k)
			freed = true
		} else if !picked {
			any1, picked = k, true
		}
	}
	if !freed && picked {
		delete(c.entries, any1)
	}
}

func (c *verified) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
