package keys

import (
	"crypto/cipher"
	"time"

	"github.com/livc/livc-broker/internal/cache"
)

// dataKeyCache keeps unwrapped data keys, ready as AEADs, keyed by the
// SHA-256 of their wrapped form. It holds at most max entries, evicting the
// least recently used, and forgets each ttl after it was unwrapped, however
// often it is used. Only keys that unwrapped correctly enter it, so a hit
// needs no further check.
type dataKeyCache struct {
	ttl time.Duration
	now func() time.Time // read at every put and get, so a test may set it
	c   *cache.Cache[[32]byte, cachedKey]
}

type cachedKey struct {
	aead  cipher.AEAD
	epoch uint32 // the key epoch it was unwrapped under (0: format 1)
}

func newDataKeyCache(max int, ttl time.Duration) *dataKeyCache {
	d := &dataKeyCache{ttl: ttl, now: time.Now}
	d.c = cache.New[[32]byte, cachedKey](max, func() time.Time { return d.now() })
	return d
}

func (d *dataKeyCache) get(k [32]byte) (cipher.AEAD, bool) {
	e, ok := d.c.Get(k)
	return e.aead, ok
}

func (d *dataKeyCache) put(k [32]byte, aead cipher.AEAD, epoch uint32) {
	d.c.Put(k, cachedKey{aead: aead, epoch: epoch}, d.now().Add(d.ttl))
}

func (d *dataKeyCache) forget(k [32]byte) { d.c.Delete(k) }

// forgetEpochsBefore drops every data key unwrapped under an epoch before e:
// their epoch keys are destroyed.
func (d *dataKeyCache) forgetEpochsBefore(e uint32) {
	d.c.DeleteFunc(func(_ [32]byte, k cachedKey) bool { return k.epoch < e })
}

func (d *dataKeyCache) len() int { return d.c.Len() }
