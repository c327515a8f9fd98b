package token

import (
	"context"
	"time"
)

// RefreshReport tells what a refresh of the JWKS changed.
type RefreshReport struct {
	// Keys is the number of keys in force after the refresh.
	Keys int
	// Added and Removed count keys that came and went (a key changed
	// under its kid counts as both).
	Added, Removed int
	// Dropped counts the cached verifications dropped with removed keys.
	Dropped int
}

// Refresh reads the JWKS again (the file, or the URL) and puts it in force
// if it is a set New would accept. Every cached verification made with a key
// the new set no longer holds is dropped at once, so a token signed by a
// removed key is refused on its next use. On any failure (unreadable,
// unreachable, unparsable, or a set New would refuse) the previous keys stay
// in force and the error says why; it never holds key material.
func (v *Verifier) Refresh(ctx context.Context) (RefreshReport, error) {
	v.refresh.Lock()
	defer v.refresh.Unlock()
	set, err := loadSet(ctx, v.conf.JWKS)
	if err != nil {
		return RefreshReport{}, err
	}
	prev := v.ring.Load()
	next, err := checkSet(set, prev)
	if err != nil {
		return RefreshReport{}, err
	}
	v.ring.Store(next)
	rep := RefreshReport{Keys: len(next.keys())}
	for _, k := range next.keys() {
		if !prev.holds(k) {
			rep.Added++
		}
	}
	for _, k := range prev.keys() {
		if !next.holds(k) {
			rep.Removed++
		}
	}
	if v.cache != nil && rep.Removed > 0 {
		rep.Dropped = v.cache.drop(next)
	}
	return rep, nil
}

// every refreshes the JWKS every d until ctx is done or the returned stop
// is called, telling Conf.OnRefresh each outcome.
func (v *Verifier) every(ctx context.Context, d time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				rep, err := v.Refresh(ctx)
				if v.conf.OnRefresh != nil && ctx.Err() == nil {
					v.conf.OnRefresh(rep, err)
				}
			}
		}
	}()
	return cancel
}
