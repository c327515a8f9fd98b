package keys

import (
	"sync"
	"sync/atomic"
	"time"
)

// Adopting keys another process added, at once.
//
// `livc-broker keys rotate` runs in its own process: it writes a new KEK
// file and then re-wraps every data key in Redis under it, while brokers
// that loaded the key directory earlier keep serving. A broker that meets a
// data key wrapped under a KEK it does not know (or an envelope sealed to an
// age recipient it does not hold) reads the key directory again before it
// gives up, instead of failing until its next scheduled key check.
//
// The other design, a rotation that waits until every running broker
// reports the new KEK before it wraps anything under it, needs a registry of
// live brokers and stalls (or guesses) when one of them is slow or gone. It
// is not needed: a data key is only ever wrapped under a KEK after that
// KEK's file is complete on disk (writeNew), so a broker that reads the
// directory after it met the data key is sure to find the KEK, and one that
// still does not is facing a KEK that really is unknown: it fails closed.
//
// Reading the directory costs a few small files; what triggers it can come
// from outside (a wrapped key in Redis, an envelope any actor sends), so it
// is single-flight and rate-limited: reloads are serialized, callers that
// waited share the reload that ran while they waited, and a reload on
// demand starts at most once a second (defaultReloadEvery), the caller
// waiting out the rest of the second rather than failing (so two rotations
// in quick succession still succeed). A KEK that stays unknown costs one
// reload a second, never a loop.

// defaultReloadEvery is the least time between two reloads of the key
// directory on demand.
const defaultReloadEvery = time.Second

// reloader serializes and counts the Keyring's reloads.
type reloader struct {
	mu      sync.Mutex    // held for the whole of a reload
	started atomic.Uint64 // reloads started so far
	last    time.Time     // when the last one started (monotonic clock); guarded by mu
	lastErr error         // what it returned; guarded by mu
	every   time.Duration // least time between reloads on demand
}

// ReloadMark returns a mark of the reloads started so far, for
// ReloadAfter: take it before reading keys that may turn out stale.
func (kr *Keyring) ReloadMark() uint64 { return kr.reload.started.Load() }

// ReloadAfter makes sure the key directory was read again by a reload that
// started after mark (ReloadMark) and has finished: it returns at once if
// one already did, waits for one in progress, or runs one itself, no sooner
// than the rate limit allows (it then waits, at most one interval). It
// returns that reload's error. Callers then look their key up again, and
// fail closed if it is still missing.
func (kr *Keyring) ReloadAfter(mark uint64) error {
	r := &kr.reload
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started.Load() > mark {
		return r.lastErr
	}
	if wait := r.every - time.Since(r.last); !r.last.IsZero() && wait > 0 {
		time.Sleep(wait)
	}
	return kr.reloadLocked()
}

// Reload reads the key directory again and adopts what changed on disk: a
// KEK added (or removed) by `livc-broker keys rotate` in another process, an
// epoch advanced or destroyed by another process, identities rotated or
// retired ones expired. On any error it keeps its state and returns the
// error. The pseudonym secret and the checkpoint key must not change: Reload
// refuses a directory where they did. Reloads run one at a time, so one
// that read the directory earlier never replaces what a later one read.
func (kr *Keyring) Reload() error {
	kr.reload.mu.Lock()
	defer kr.reload.mu.Unlock()
	return kr.reloadLocked()
}

// reloadLocked is Reload with kr.reload.mu held.
func (kr *Keyring) reloadLocked() error {
	kr.reload.started.Add(1)
	kr.reload.last = time.Now()
	kr.reload.lastErr = kr.adoptDirectory()
	return kr.reload.lastErr
}
