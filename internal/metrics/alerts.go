package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/livc/livc-broker/broker"
)

func newAlertsCounter() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "livc_audit_alerts_total",
		Help: "Alerts raised as the audit log grows (the kinds of GET /v1/audit/alerts), by cell and kind; an individual's alert of a kind counts once per alert window.",
	}, []string{"livc", "kind"})
	return c
}

func newOutputFailsCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "livc_audit_output_failures_total",
		Help: "Failed deliveries of audit entries or alerts to an output (file, syslog, alerts), each retried with backoff; nothing is lost, but the output lags.",
	}, []string{"output"})
}

// alertKinds are the kinds an alert has: the label's whole set.
var alertKinds = []string{broker.AlertManyPersons, broker.AlertOutsideRoster, broker.AlertDenials, broker.AlertAuthFailures}

// WatchCells makes every cell's alert counters exist at 0, so that a rate
// over them is defined before the first alert.
func (m *Metrics) WatchCells(cells []string) {
	for _, c := range cells {
		for _, k := range alertKinds {
			m.alerts.WithLabelValues(c, k)
		}
	}
}

// CountAlert counts one alert raised of a cell.
func (m *Metrics) CountAlert(livc, kind string) { m.alerts.WithLabelValues(livc, kind).Inc() }

// CountOutputFailure counts one failed delivery to an audit output.
func (m *Metrics) CountOutputFailure(output string) { m.outputFails.WithLabelValues(output).Inc() }
