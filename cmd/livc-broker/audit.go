package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/audit"
	"github.com/livc/livc-broker/keys"
)

// checkpointEvery is how often the broker signs a checkpoint of each log
// that grew; LIVC_CHECKPOINT_EVERY (a Go duration) overrides it.
const checkpointEvery = 5 * time.Second

// witnessFile is the file of the key directory where the broker records the
// last checkpoint it signed of each log (audit.FileWitness): next to
// the signing key, out of reach of whoever has only Redis.
const witnessFile = "audit-checkpoints.json"

// newAuditLog wires the verifiable audit log to the broker's checkpoint key,
// its witness file in keysDir (none when "") and the cells' outside
// witnesses w (their cosignatures served, each new checkpoint handed to
// them), moves logs of the layout before tiles into tiles
// (audit.Log.Migrate), and starts signing checkpoints of every cell's log in
// the background while ctx lasts. It returns the checkpoint verifier too.
func newAuditLog(ctx context.Context, client redis.UniversalClient, kr *keys.Keyring, keysDir string, cells map[string]*broker.Cell, w *witnessing, log *slog.Logger) (*audit.Log, note.Verifier, error) {
	signer, err := kr.CheckpointSigner()
	if err != nil {
		return nil, nil, fmt.Errorf("keys: checkpoint signer: %w", err)
	}
	verifier, err := note.NewVerifier(kr.CheckpointVerifierKey())
	if err != nil {
		return nil, nil, fmt.Errorf("keys: checkpoint verifier: %w", err)
	}
	every := checkpointEvery
	if v := os.Getenv("LIVC_CHECKPOINT_EVERY"); v != "" {
		if every, err = time.ParseDuration(v); err != nil || every <= 0 {
			return nil, nil, fmt.Errorf("LIVC_CHECKPOINT_EVERY: not a positive duration: %q", v)
		}
	}
	conf := audit.Conf{Signer: signer, Verifier: verifier, Logger: log, Cosigners: w.cosigners, Published: w.published}
	if keysDir != "" {
		w, err := audit.OpenFileWitness(filepath.Join(keysDir, witnessFile), verifier)
		if err != nil {
			return nil, nil, err
		}
		conf.Witness = w
	}
	l := audit.NewWith(client, conf)
	// A log kept in the layout before tiles is moved into tiles before
	// anything is served; one that cannot be (inconsistent) stops the
	// start, naming the log, rather than serve a cell whose appends fail.
	if err := l.Migrate(ctx, slices.Sorted(maps.Keys(cells))); err != nil {
		return nil, nil, err
	}
	go l.RunCheckpoints(ctx, every, slices.Sorted(maps.Keys(cells)))
	return l, verifier, nil
}

// openAudit opens the audit log, with the cells' outside witnesses
// (witnessing.go) and the witness file in the key directory.
func openAudit(ctx context.Context, c serveConf, client redis.UniversalClient, kr *keys.Keyring, cells map[string]*broker.Cell,
	log *slog.Logger) (*audit.Log, *witnessing, note.Verifier, error) {
	wit, err := newWitnessing(cells)
	if err != nil {
		return nil, nil, nil, err
	}
	a, logKey, err := newAuditLog(ctx, client, kr, witnessDir(c), cells, wit, log)
	return a, wit, logKey, err
}
