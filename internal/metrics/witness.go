package metrics

import "github.com/prometheus/client_golang/prometheus"

// WitnessOutcomes registers livc_witness_submissions_total and returns the
// function that counts one checkpoint submission to an outside witness, by
// the witness's name (from the cells' configuration, so a bounded set) and
// outcome: cosigned, refused (the witness found the log not consistent with
// what it cosigned before: an alert), failed (no answer, or no verdict).
// Call it once.
func (m *Metrics) WitnessOutcomes() func(witness, outcome string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "livc_witness_submissions_total",
		Help: "Checkpoints submitted to outside witnesses, by witness and outcome (cosigned, refused: the witness found the log rebuilt or forked, failed: no answer).",
	}, []string{"witness", "outcome"})
	m.reg.MustRegister(c)
	return func(witness, outcome string) { c.WithLabelValues(witness, outcome).Inc() }
}
