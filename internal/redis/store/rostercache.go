package store

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/livc/livc-broker/broker"
)

// rosterCacheSize bounds the dossiers a rosterCache remembers; past it, it
// forgets them all and starts again. 8,192 dossiers of about 500 bytes
// each hold about 5 MB.
const rosterCacheSize = 8192

// rosterCache remembers the rosters decoded from stored dossiers, by the
// dossier's stored JSON itself. Decoding a dossier took encoding/json about
// 4% of a card read's CPU, for every dossier of every person read; the same
// bytes always decode to the same roster, so an entry can never be stale: a
// dossier that changes is stored as other bytes, and is decoded again.
type rosterCache struct {
	mu sync.RWMutex
	m  map[string]broker.DossierRoster
}

// decode returns the id, state and roster of the dossier stored as doc. The
// roster may be shared with other answers: callers must not modify it.
func (c *rosterCache) decode(doc string) (broker.DossierRoster, error) {
	c.mu.RLock()
	d, ok := c.m[doc]
	c.mu.RUnlock()
	if ok {
		return d, nil
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return broker.DossierRoster{}, errors.New("stored dossier is not valid JSON")
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= rosterCacheSize {
		c.m = make(map[string]broker.DossierRoster, 64)
	}
	c.m[doc] = d
	c.mu.Unlock()
	return d, nil
}
