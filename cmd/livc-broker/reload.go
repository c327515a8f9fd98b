package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/metrics"
	"github.com/livc/livc-broker/internal/policy"
	"github.com/livc/livc-broker/internal/token"
)

// reloadOnHUP, on each SIGHUP until ctx ends, reads the JWKS again and
// reloads the cells' configuration and policies. The two are independent:
// one failing keeps its previous state and does not stop the other.
func reloadOnHUP(ctx context.Context, c serveConf, svc *broker.Service, engine *policy.Engine, auth *token.Verifier, m *metrics.Metrics, log *slog.Logger) {
	onHUP(ctx, func() {
		rep, err := auth.Refresh(ctx)
		logJWKSRefresh(log, "SIGHUP", rep, err)
		reload(ctx, c, svc, engine, m, log)
	})
}

// onHUP calls do on each SIGHUP until ctx ends. Each reloader listens on
// its own: one that fails does not keep another from its work.
func onHUP(ctx context.Context, do func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			do()
		}
	}
}

// reload re-reads every --config file and each cell's policy directory,
// compiles the policy over them and, only if all of it succeeds, puts the new
// policy and configuration in force together. On any failure the previous
// policy and configuration stay in force. Either way it says so in the log
// and in metrics, and audits a policy.reload entry in each cell's log.
func reload(ctx context.Context, c serveConf, svc *broker.Service, engine *policy.Engine, m *metrics.Metrics, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	before := engine.Revision()
	err := func() error {
		if len(c.Configs) == 0 {
			return errors.New("serving the embedded demo cell: nothing to reload")
		}
		cells, err := loadCells(c, log)
		if err != nil {
			return err
		}
		if err := sameCells(svc, cells); err != nil {
			return err
		}
		next, err := engine.Prepare(ctx, cells)
		if err != nil {
			return err
		}
		// The configuration and its policy go into force in one step.
		if err := svc.Reload(cells, m.Decider(next)); err != nil {
			return err
		}
		engine.Install(next)
		return nil
	}()
	rev := engine.Revision()
	if err != nil {
		log.Error("policy reload failed; the previous policy stays in force", "revision", rev, "err", err)
	} else {
		log.Info("policy reloaded", "revision", rev, "previous", before)
	}
	m.PolicyReload(err == nil, rev)
	if aerr := svc.AuditPolicyReload(ctx, rev, err); aerr != nil {
		log.Error("policy reload could not be audited", "err", aerr)
	}
}

// sameCells refuses a reload that adds or removes a cell.
func sameCells(svc *broker.Service, cells map[string]*broker.Cell) error {
	if !slices.Equal(svc.CellIDs(), slices.Sorted(maps.Keys(cells))) {
		return errors.New("the set of cells changed; adding or removing a cell needs a restart")
	}
	return nil
}
