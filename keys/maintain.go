package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livc/livc-broker/broker"
)

// Key maintenance over the store of wrapped data keys: re-wrapping every data
// key under the current KEK and epoch (a KEK rotation, a new epoch) and the
// epoch schedule that destroys older epoch keys. The serving broker runs
// MaintainEpochs on a schedule and `livc-broker keys rotate` runs RewrapAll
// on demand. Both re-wrap with compare-and-set, so they may run at the same
// time, in several processes, without losing a key.

// DataKeyStore is where the wrapped data keys live (the Redis store).
type DataKeyStore interface {
	// ScanDataKeys visits some data keys from cursor (0 to start) and
	// returns the cursor to go on from, 0 once the walk is done.
	ScanDataKeys(ctx context.Context, cursor uint64, count int64, fn func(key string, wrapped []byte) error) (uint64, error)
	// ReplaceDataKey sets key to next if it still holds prev, and reports
	// whether it did.
	ReplaceDataKey(ctx context.Context, key string, prev, next []byte) (bool, error)
	// DataKeyAt returns the data key at key, or broker.ErrNotFound.
	DataKeyAt(ctx context.Context, key string) ([]byte, error)
}

// scanBatch is how many data keys one SCAN step asks for.
const scanBatch = 256

// RewrapAll walks every data key of st from cursor and re-wraps each under
// the keyring's current KEK and epoch. save, when set, is given the cursor
// after each batch, so that an interrupted walk can resume. It returns how
// many data keys it visited and changed. An error stops it; what it
// re-wrapped so far stays. A walk resumed from a cursor does not visit the
// keys before it: callers that must leave nothing behind walk again from 0.
func (kr *Keyring) RewrapAll(ctx context.Context, st DataKeyStore, cursor uint64, save func(uint64) error) (visited, changed int, err error) {
	for {
		cursor, err = st.ScanDataKeys(ctx, cursor, scanBatch, func(key string, w []byte) error {
			visited++
			ok, err := kr.rewrapOne(ctx, st, key, w)
			if ok {
				changed++
			}
			return err
		})
		if err != nil {
			return visited, changed, err
		}
		if save != nil {
			if err := save(cursor); err != nil {
				return visited, changed, err
			}
		}
		if cursor == 0 {
			return visited, changed, nil
		}
	}
}

// rewrapOne re-wraps the data key at key, reading it again when another
// writer changed it in between; an erased one is skipped.
func (kr *Keyring) rewrapOne(ctx context.Context, st DataKeyStore, key string, w []byte) (bool, error) {
	for range 8 {
		next, changed, err := kr.Rewrap(w) // adopts a KEK another process just added
		if err != nil {
			return false, fmt.Errorf("re-wrap a data key: %w", err) // never the key or its name
		}
		if !changed {
			return false, nil
		}
		ok, err := st.ReplaceDataKey(ctx, key, w, next)
		if err != nil || ok {
			return ok, err
		}
		if w, err = st.DataKeyAt(ctx, key); errors.Is(err, broker.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, errors.New("re-wrap a data key: it keeps changing")
}

// EpochStep is what one MaintainEpochs call did.
type EpochStep struct {
	// Started is the epoch started by this call, 0 if none.
	Started uint32
	// DestroyedBefore is the epoch before which every epoch key was
	// destroyed by this call, 0 if none was.
	DestroyedBefore uint32
	// Rewrapped and Live count the data keys re-wrapped and visited on the
	// way to a destruction.
	Rewrapped, Live int
}

// MaintainEpochs runs one step of the epoch schedule by the Keyring's clock
// (Conf.Now): it starts a new epoch when the current one is due, and once
// the current epoch is settle old (the time every broker process needs to
// adopt it), it re-wraps every data key of st under it, walks them again to
// check none is left under an older epoch, and only then destroys the older
// epoch keys. A data key written under an older epoch during the walk (a
// process that had not reloaded yet) is an error and nothing is destroyed:
// the next step tries again.
func (kr *Keyring) MaintainEpochs(ctx context.Context, st DataKeyStore, settle time.Duration) (EpochStep, error) {
	var step EpochStep
	if kr.EpochDue() {
		e, err := kr.AdvanceEpoch()
		if err != nil {
			return step, err
		}
		step.Started = e
	}
	oldest, current, started := kr.Epochs()
	if oldest == current || kr.conf.Now().Sub(started) < settle {
		return step, nil
	}
	_, changed, err := kr.RewrapAll(ctx, st, 0, nil)
	if err != nil {
		return step, err
	}
	visited, late, err := kr.RewrapAll(ctx, st, 0, nil)
	if err != nil {
		return step, err
	}
	if late > 0 {
		return step, fmt.Errorf("%d data keys were written under an old epoch during the re-wrap", late)
	}
	if err := kr.DestroyEpochsBefore(current); err != nil {
		return step, err
	}
	step.DestroyedBefore, step.Rewrapped, step.Live = current, changed, visited
	return step, nil
}
