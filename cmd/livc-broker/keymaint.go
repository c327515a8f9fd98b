package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/keys"
)

// Key maintenance: what serve does on a schedule (keys.MaintainEpochs), and
// `keys rotate` on demand (keys.RewrapAll).

// maintainer runs the key schedule of a serving broker.
type maintainer struct {
	kr    *keys.Keyring
	st    *store.Store
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
	step, err := m.kr.MaintainEpochs(ctx, m.st, 2*m.every)
	if step.Started != 0 {
		m.log.Info("key epoch started", "epoch", step.Started)
	}
	if err != nil || step.DestroyedBefore == 0 {
		return err
	}
	m.log.Info("key epochs destroyed", "before", step.DestroyedBefore, "rewrapped", step.Rewrapped, "data_keys", step.Live)
	return auditKeys(ctx, m.audit, m.cells, broker.ActionKeysEpoch, "livc-broker",
		fmt.Sprintf("key epochs before %d destroyed; %d data keys re-wrapped, %d live", step.DestroyedBefore, step.Rewrapped, step.Live))
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
