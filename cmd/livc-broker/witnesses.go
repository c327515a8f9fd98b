package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/metrics"
	"github.com/livc/livc-broker/internal/witness"
)

// witnessing is the cells' outside witnesses (audit: witnesses: of each
// cell's configuration), read at start: the audit log serves their
// cosignatures with its checkpoints (cosigners), and a witness.Submitter
// sends each new checkpoint to them once the service exists (start).
// Checkpoints signed before that are not submitted; the next one is, and a
// witness's cosignature of it vouches for every smaller tree too.
type witnessing struct {
	cosigners map[string][]note.Verifier
	endpoints map[string][]witness.Endpoint
	sub       atomic.Pointer[witness.Submitter]
}

// newWitnessing reads the cells' witnesses.
func newWitnessing(cells map[string]*broker.Cell) (*witnessing, error) {
	w := &witnessing{cosigners: map[string][]note.Verifier{}, endpoints: map[string][]witness.Endpoint{}}
	for id, c := range cells {
		for _, cw := range c.Audit.Witnesses {
			v, err := auditlog.NewCosignatureVerifier(cw.Key)
			if err != nil {
				return nil, fmt.Errorf("cell %s: witness %s: %w", id, cw.Name, err)
			}
			w.cosigners[id] = append(w.cosigners[id], v)
			// The Client's default HTTP client follows no redirect; each
			// submission has its own timeout (SubmitterConf).
			w.endpoints[id] = append(w.endpoints[id], witness.Endpoint{Name: cw.Name, Verifier: v, Client: &witness.Client{URL: cw.URL}})
		}
	}
	return w, nil
}

// published hands a new checkpoint to the submitter, once there is one.
func (w *witnessing) published(livc string, signed []byte) {
	if s := w.sub.Load(); s != nil {
		s.Published(livc, signed)
	}
}

// start runs the submitter until ctx ends: a witness's refusal of a log is
// written to the cell's log (the privacy officer's witness_refused alert)
// and counted.
func (w *witnessing) start(ctx context.Context, l witness.Log, logKey note.Verifier, svc *broker.Service, m *metrics.Metrics, log *slog.Logger) {
	if len(w.endpoints) == 0 {
		return
	}
	s := witness.NewSubmitter(witness.SubmitterConf{
		Log: l, LogVerifier: logKey, Witnesses: w.endpoints, Logger: log,
		Outcome: m.WitnessOutcomes(),
		Refused: func(livc, name string, size int64) error {
			err := svc.WitnessRefused(ctx, livc, name, size)
			if err != nil {
				log.Error("a witness's refusal could not be audited: tried again at its next refusal", "witness", name, "size", size, "err", err)
			}
			return err
		},
	})
	w.sub.Store(s)
	go s.Run(ctx)
}
