package token

import (
	"crypto/sha256"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/cache"
)

// verified caches tokens that passed verification, keyed by the SHA-256 of
// the raw token (never the token itself). An entry is used only strictly
// before its end (the token's exp, and never later than the maximum
// lifetime after it was verified) and only while the key that verified it
// is still in the key set: a refresh that removes a key drops its entries
// (drop), and a lookup checks the key too, for a verification that raced
// the refresh. It is bounded: when full it drops ended entries and, if
// none, the least recently used one.
type verified struct {
	c *cache.Cache[[sha256.Size]byte, cached]
}

// cached is one verification: who the token names, the key that verified
// it, and when the entry ends.
type cached struct {
	p   broker.Principal
	key *verifyKey
	end time.Time
}

// newVerified returns a cache of max verifications on the clock now, or nil
// (no cache) when max is not positive.
func newVerified(max int, now func() time.Time) *verified {
	if max <= 0 {
		return nil
	}
	return &verified{c: cache.New[[sha256.Size]byte, cached](max, now)}
}

// get returns the principal of a token verified before, if its entry has
// not ended at now and ring still holds the key that verified it.
func (c *verified) get(key [sha256.Size]byte, now time.Time, ring *keyring) (broker.Principal, bool) {
	e, ok := c.c.Get(key)
	if !ok || !now.Before(e.end) || !ring.holds(e.key) {
		return broker.Principal{}, false
	}
	return e.p, true
}

// put remembers e until it ends. Only verified tokens are put, so a
// stranger cannot evict an entry.
func (c *verified) put(key [sha256.Size]byte, e cached) {
	c.c.Put(key, e, e.end)
}

// drop deletes every entry whose key ring does not hold: a key removed
// from the set (or changed under its kid) ends what it verified at once.
func (c *verified) drop(ring *keyring) int {
	return c.c.DeleteFunc(func(_ [sha256.Size]byte, e cached) bool { return !ring.holds(e.key) })
}

func (c *verified) len() int { return c.c.Len() }
