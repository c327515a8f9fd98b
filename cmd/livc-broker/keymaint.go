package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisstore"
	"github.com/livc/livc-broker/keys"
)

// Key maintenance: what serve does on a schedule, and `keys rotate` on
// demand. Both re-wrap data keys with compare-and-set, so they may run at
// the same time, in several processes, without losing a key.

// rewrapAll walks every data key from cursor and re-wraps each under the
// keyring's current KEK and epoch. save, when set, is given the cursor after
// each batch. It returns how many data keys it visited and changed. An error
// stops it; what it re-wrapped so far stays.
func rewrapAll(ctx context.Context, kr *keys.Keyring, st *redisstore.Store, cursor uint64, save func(uint64) error) (visited, changed int, err error) {
	for {
		cursor, err = st.ScanDataKeys(ctx, cursor, 256, func(key string, w []byte) error {
			visited++
			ok, err := rewrapOne(ctx, kr, st, key, w)
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
func rewrapOne(ctx context.Context, kr *keys.Keyring, st *redisstore.Store, key string, w []byte) (bool, error) {
	for range 8 {
		next, changed, err := kr.Rewrap(w)
		if errors.Is(err, keys.ErrUnknownKEK) && kr.Reload() == nil {
			next, changed, err = kr.Rewrap(w) // a KEK another process just added
		}
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

// maintainer runs the key schedule of a serving broker.
type maintainer struct {
	kr    *keys.Keyring
	st    *redisstore.Store
	audit broker.Auditor
	cells []string
	every time.Duration
	log   *slog.Logger
}

// run ticks until ctx ends.
func (m *maintainer) run(ctx context.Context) {
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		if err := m.tick(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("key maintenance failed; nothing destroyed, retrying at the next tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tick adopts key changes made on disk by other processes, drops retired
// identities past their grace period, starts a new key epoch when the
// current one is due, and, once every process had time to adopt the new
// epoch (two ticks), re-wraps every data key under it and destroys the older
// epoch keys, but only after a verification pass found nothing left to
// re-wrap.
func (m *maintainer) tick(ctx context.Context) error {
	if err := m.kr.Reload(); err != nil {
		return err
	}
	if n, err := m.kr.PurgeRetired(); err != nil {
		return err
	} else if n > 0 {
		m.log.Info("retired broker identities past their grace period deleted", "count", n)
	}
	if m.kr.EpochDue() {
		e, err := m.kr.AdvanceEpoch()
		if err != nil {
			return err
		}
		m.log.Info("key epoch started", "epoch", e)
	}
	oldest, current, started := m.kr.Epochs()
	if oldest == current || time.Since(started) < 2*m.every {
		return nil
	}
	_, changed, err := rewrapAll(ctx, m.kr, m.st, 0, nil)
	if err != nil {
		return err
	}
	visited, late, err := rewrapAll(ctx, m.kr, m.st, 0, nil)
	if err != nil {
		return err
	}
	if late > 0 {
		return fmt.Errorf("%d data keys were written under an old epoch during the re-wrap", late)
	}
	if err := m.kr.DestroyEpochsBefore(current); err != nil {
		return err
	}
	m.log.Info("key epochs destroyed", "before", current, "rewrapped", changed, "data_keys", visited)
	return auditKeys(ctx, m.audit, m.cells, "keys.epoch", "livc-broker",
		fmt.Sprintf("key epochs before %d destroyed; %d data keys re-wrapped, %d live", current, changed, visited))
}

// auditKeys appends one entry per cell for a key operation, which touches
// the data keys of every cell.
func auditKeys(ctx context.Context, a broker.Auditor, cells []string, action, sub, reason string) error {
	for _, livc := range cells {
		e := &broker.AuditEntry{
			ID: broker.NewID("aud"), Time: time.Now().UTC(), Livc: livc,
			Actor: "livc-broker", Sub: sub, Action: action, Purpose: "key_management",
			Decision: broker.DecisionAllow, Reason: reason,
			Released: []string{}, Withheld: []string{},
		}
		if err := a.Append(ctx, e); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	return nil
}
