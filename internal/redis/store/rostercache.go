package store

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/cache"
)

// rosterCacheSize bounds the dossiers a rosterCache remembers; past it, it
// forgets the least recently used. 8,192 dossiers of about 500 bytes each
// hold about 5 MB.
const rosterCacheSize = 8192

// rosterCache remembers the rosters decoded from stored dossiers, by the
// dossier's stored JSON itself. Decoding a dossier took encoding/json about
// 4% of a card read's CPU, for every dossier of every person read; the same
// bytes always decode to the same roster, so an entry can never be stale: a
// dossier that changes is stored as other bytes, and is decoded again. So
// entries have no expiry. The zero rosterCache is ready to use.
type rosterCache struct {
	once sync.Once
	c    *cache.Cache[string, broker.DossierRoster]
}

func (r *rosterCache) lru() *cache.Cache[string, broker.DossierRoster] {
	r.once.Do(func() { r.c = cache.New[string, broker.DossierRoster](rosterCacheSize, nil) })
	return r.c
}

// decode returns the id, state and roster of the dossier stored as doc. The
// roster may be shared with other answers: callers must not modify it.
func (r *rosterCache) decode(doc string) (broker.DossierRoster, error) {
	c := r.lru()
	if d, ok := c.Get(doc); ok {
		return d, nil
	}
	var d broker.DossierRoster
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return broker.DossierRoster{}, errors.New("stored dossier is not valid JSON")
	}
	c.Put(doc, d, time.Time{}) // never stale, so no expiry
	return d, nil
}
