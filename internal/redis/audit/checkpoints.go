package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// Signed checkpoints: one of the log as it is signed only if it extends what
// was signed before, recorded by the witness before it is published, kept
// in the log's list (thinned, thin.go) and signed every period by
// RunCheckpoints. proofs.go proves entries and trees against them.

// errNoSigner is returned by every checkpoint operation of a Log without a
// signer.
var errNoSigner = errors.New("audit: no checkpoint signer configured")

// size returns the log's size as its head says.
func (l *Log) size(ctx context.Context, key string) (int64, error) {
	n, err := l.c.HGet(ctx, key+":head", "n").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

func (l *Log) reader(ctx context.Context, key string) tlog.HashReader {
	return &hashReader{ctx: ctx, c: l.c, key: key, known: []map[int64]tlog.Hash{{}}}
}

// latest returns the last checkpoint pushed that verifies, and its note; ok
// is false when there is none. Notes that do not verify (forged) are
// skipped here and reported by Verify.
func (l *Log) latest(ctx context.Context, key, origin string) (cp auditlog.Checkpoint, signed []byte, ok bool, err error) {
	notes, err := l.c.LRange(ctx, key+":checkpoints", -16, -1).Result()
	if err != nil {
		return cp, nil, false, err
	}
	for i := len(notes) - 1; i >= 0; i-- {
		if cp, err = auditlog.OpenWith([]byte(notes[i]), l.conf.Verifier, origin); err == nil {
			return cp, []byte(notes[i]), true, nil
		}
	}
	return cp, nil, false, nil
}

// Checkpoint implements broker.AuditProver: the latest signed checkpoint
// of the log, or with fresh one of the log as it is now, signed only if it
// extends what was signed before (mayExtend) and recorded by the witness
// before it is published.
func (l *Log) Checkpoint(ctx context.Context, livc string, fresh bool) ([]byte, error) {
	if l.conf.Signer == nil || l.conf.Verifier == nil {
		return nil, errNoSigner
	}
	key, err := l.streamKey(livc)
	if err != nil {
		return nil, err
	}
	origin := auditlog.Origin(livc)
	_, signed, ok, err := l.latest(ctx, key, origin)
	if err != nil {
		return nil, fail("checkpoint", err)
	}
	if ok && !fresh {
		return l.withCosignatures(ctx, livc, key, signed), nil
	}
	// One signing at a time in this process: otherwise one that read a
	// smaller size than another had already signed (and recorded with the
	// witness) would take the log for rebuilt. signFresh reads again under
	// the lock.
	l.signMu.Lock()
	signed, err = l.signFresh(ctx, livc, key, origin)
	l.signMu.Unlock()
	if err != nil {
		return nil, err
	}
	return l.withCosignatures(ctx, livc, key, signed), nil
}

// signFresh signs a checkpoint of the log as it is now and publishes it,
// unless the latest kept checkpoint is of that size already (then it
// returns that one). The caller holds signMu.
func (l *Log) signFresh(ctx context.Context, livc, key, origin string) ([]byte, error) {
	last, signed, ok, err := l.latest(ctx, key, origin)
	if err != nil {
		return nil, fail("checkpoint", err)
	}
	n, err := l.size(ctx, key)
	if err != nil {
		return nil, fail("checkpoint", err)
	}
	if ok && last.Size == n {
		return signed, nil
	}
	r := l.reader(ctx, key)
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return nil, fail("checkpoint", err)
	}
	cp := auditlog.Checkpoint{Origin: origin, Size: n, Hash: root}
	if err := l.mayExtend(ctx, r, key, last, ok, cp); err != nil {
		return nil, err
	}
	note, err := auditlog.Sign(cp, l.conf.Signer)
	if err != nil {
		return nil, broker.Wrap(broker.KindInternal, err, "the checkpoint could not be signed")
	}
	if err := l.publish(ctx, livc, key, cp, note); err != nil {
		return nil, err
	}
	return note, nil
}

// publish records a signed checkpoint with the witness and then pushes it to
// the log's kept checkpoints (thinning them now and then), remembers it as
// the last this process signed, and hands it to the outside witnesses
// (Conf.Published). A checkpoint the witness does not record is not
// published.
func (l *Log) publish(ctx context.Context, livc, key string, cp auditlog.Checkpoint, note []byte) error {
	if w := l.conf.Witness; w != nil {
		// Recorded before it is published: a checkpoint anyone has seen is
		// always one the witness holds (or a smaller one).
		if err := w.Record(cp, note); err != nil {
			l.conf.Logger.Error("audit checkpoint not recorded by the witness: not published", "log", cp.Origin, "err", err)
			return broker.Wrap(broker.KindInternal, err, "the checkpoint could not be recorded")
		}
	}
	llen, err := pushScript.Run(ctx, l.c, []string{key + ":head", key + ":checkpoints"}, cp.Size, note).Int64()
	if err != nil {
		return fail("checkpoint", err)
	}
	if llen > int64(l.conf.KeepCheckpoints) && llen%thinEvery == 0 {
		// Every thinEvery-th push thins the list; pushes add one at a time,
		// so some process always reaches each multiple.
		if err := l.thin(ctx, key, cp.Origin); err != nil {
			l.conf.Logger.Error("audit checkpoints not thinned", "log", cp.Origin, "err", err)
		}
	}
	l.mu.Lock()
	if l.signed[key].Size <= cp.Size {
		l.signed[key] = cp
	}
	l.mu.Unlock()
	if l.conf.Published != nil {
		l.conf.Published(livc, note)
	}
	return nil
}

// errRebuilt marks a refusal to sign because the log does not extend the
// checkpoint the witness holds: the log was rebuilt (its checkpoints
// deleted), which Redis alone cannot show.
var errRebuilt = errors.New("audit: the log does not extend the checkpoint its witness holds")

// mayExtend refuses (and logs) a tree cp that does not extend what was
// signed before: the last checkpoint kept in Redis (last, if ok), the last
// one this process signed, the one the witness holds.
func (l *Log) mayExtend(ctx context.Context, r tlog.HashReader, key string, last auditlog.Checkpoint, ok bool, cp auditlog.Checkpoint) error {
	l.mu.Lock()
	mine, hasMine := l.signed[key]
	l.mu.Unlock()
	for _, old := range []struct {
		cp auditlog.Checkpoint
		ok bool
	}{{last, ok}, {mine, hasMine}} {
		if !old.ok || old.cp.Size == 0 {
			continue
		}
		if err := l.extends(ctx, r, old.cp, cp); err != nil {
			l.conf.Logger.Error("audit log does not extend its last checkpoint: refusing to sign", "log", cp.Origin, "size", cp.Size, "checkpoint_size", old.cp.Size)
			return broker.Wrap(broker.KindInternal, err, "the audit log does not extend its last signed checkpoint")
		}
	}
	if l.conf.Witness == nil {
		return nil
	}
	if w, ok := l.conf.Witness.Last(cp.Origin); ok && w.Size > 0 {
		if err := l.extends(ctx, r, w, cp); err != nil {
			l.conf.Logger.Error("ALERT: audit log rebuilt: it does not extend the checkpoint recorded outside Redis; refusing to sign",
				"alert", "audit_log_rebuilt", "log", cp.Origin, "size", cp.Size, "witness_size", w.Size)
			return broker.Wrap(broker.KindInternal, fmt.Errorf("%w: %v", errRebuilt, err), "the audit log does not extend its last signed checkpoint")
		}
	}
	return nil
}

// extends checks, from the stored hashes, that cp's tree extends old's.
func (l *Log) extends(ctx context.Context, r tlog.HashReader, old, cp auditlog.Checkpoint) error {
	if cp.Size < old.Size {
		return fmt.Errorf("the log has %d entries, fewer than the %d signed", cp.Size, old.Size)
	}
	proof, err := tlog.ProveTree(cp.Size, old.Size, r)
	if err != nil {
		return err
	}
	return tlog.CheckTree(proof, cp.Size, cp.Hash, old.Size, old.Hash)
}

// Checkpoints implements broker.AuditProver.
func (l *Log) Checkpoints(ctx context.Context, livc string) ([][]byte, error) {
	key, err := l.streamKey(livc)
	if err != nil {
		return nil, err
	}
	all, err := l.c.LRange(ctx, key+":checkpoints", 0, -1).Result()
	if err != nil {
		return nil, fail("checkpoints", err)
	}
	out := make([][]byte, len(all))
	for i, s := range all {
		out[i] = []byte(s)
	}
	return out, nil
}

// RunCheckpoints signs a fresh checkpoint of each of the cells' logs (and of
// the log of no cell) every period, while ctx lasts. A checkpoint it cannot
// sign is logged, and tried again next period.
func (l *Log) RunCheckpoints(ctx context.Context, every time.Duration, livcs []string) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, livc := range append([]string{""}, livcs...) {
			if _, err := l.Checkpoint(ctx, livc, true); err != nil && ctx.Err() == nil {
				l.conf.Logger.Error("audit checkpoint", "log", auditlog.Origin(livc), "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
