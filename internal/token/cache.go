package token

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
)

// verified caches tokens that passed verification, keyed by the SHA-256 of
// the raw token (never the token itself). An entry is used only strictly
// before its end (the token's exp, and never later than the maximum
// lifetime after it was verified) and only while the key that verified it
// is still in the key set: a refresh that removes a key drops its entries
// (drop), and a lookup checks the key too, for a verification that raced
// the refresh. It is bounded: when full it drops ended entries and, if
// none, an arbitrary one.
type verified struct {
	mu      sync.RWMutex
	max     int
	entries map[[sha256.Size]byte]cached
}

// cached is one verification: who the token names, the key that verified
// it, and when the entry ends.
type cached struct {
	p   broker.Principal
	key *verifyKey
	end time.Time
}

func newVerified(max int) *verified {
	if max <= 0 {
		return nil
	}
	return &verified{max: max, entries: make(map[[sha256.Size]byte]cached, min(max, 1024))}
}

// get returns the principal of a token verified before, if its entry has
// not ended and ring still holds the key that verified it.
func (c *verified) get(key [sha256.Size]byte, now time.Time, ring *keyring) (broker.Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.end) || !ring.holds(e.key) {
		return broker.Principal{}, false
	}
	return e.p, true
}

func (c *verified) put(key [sha256.Size]byte, e cached, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = e
}

// drop deletes every entry whose key ring does not hold: a key removed
// from the set (or changed under its kid) ends what it verified at once.
func (c *verified) drop(ring *keyring) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, e := range c.entries {
		if !ring.holds(e.key) {
			delete(c.entries, k)
			n++
		}
	}
	return n
}

// evict frees room: every ended entry, or else one arbitrary entry. Only
// verified tokens are inserted, so a stranger cannot force this path.
func (c *verified) evict(now time.Time) {
	var any1 [sha256.Size]byte
	picked, freed := false, false
	for k, e := range c.entries {
		if !now.Before(e.end) {
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
