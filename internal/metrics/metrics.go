// Package metrics exposes the broker's Prometheus metrics: requests by route
// and status, policy decisions, policy reloads and audit append failures. It
// wraps the pipeline's ports (broker.Decider, broker.Auditor) rather than
// changing them, so that counting never alters a decision or an append.
//
// Labels never hold a value, a token, a person or an id, and their sets are
// bounded: routes are templates ("/v1/subjects/:ref/card", "unmatched"),
// methods are the HTTP methods the API knows or "OTHER".
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/livc/livc-broker/broker"
)

// Metrics holds the broker's collectors on a registry of its own.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	decisions     *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	reloadOK      prometheus.Gauge
	auditAppends  *prometheus.CounterVec
	policyVersion *prometheus.GaugeVec
	authFailures  *prometheus.CounterVec
	alerts        *prometheus.CounterVec // alerts.go
	outputFails   *prometheus.CounterVec
}

// New returns the broker's metrics, with the Go runtime and process
// collectors registered too.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livc_http_requests_total", Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "livc_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livc_policy_decisions_total", Help: "Policy decisions, by action and result (allow, deny, error).",
		}, []string{"action", "result"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livc_policy_reloads_total", Help: "Policy and configuration reloads, by result (success, failure).",
		}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "livc_policy_last_reload_success", Help: "1 if the last reload succeeded (or none was tried), 0 if it failed and the previous policy is still in force.",
		}),
		auditAppends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livc_audit_appends_total", Help: "Audit appends, by result (ok, failure). A failure means the request stored and released nothing.",
		}, []string{"result"}),
		policyVersion: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livc_policy_revision_info", Help: "The policy revision in force (value 1).",
		}, []string{"revision"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livc_auth_failures_total", Help: "Refused logins (401), by whether each was audited one by one (logged=true) or, over the per-client or total audit rate, only counted (logged=false).",
		}, []string{"logged"}),
		alerts:      newAlertsCounter(),
		outputFails: newOutputFailsCounter(),
	}
	m.reloadOK.Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.decisions, m.reloads, m.reloadOK, m.auditAppends, m.policyVersion, m.authFailures,
		m.alerts, m.outputFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"ok", "failure"} {
		m.auditAppends.WithLabelValues(r)
	}
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	for _, r := range []string{"true", "false"} {
		m.authFailures.WithLabelValues(r)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// knownMethods bounds the method label; anything else is "OTHER".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// ObserveRequest counts one answered request. route is the route template,
// "" for a request no route took.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// CountAuthFailure counts one refused login, audited one by one (logged)
// or only counted.
func (m *Metrics) CountAuthFailure(logged bool) {
	m.authFailures.WithLabelValues(strconv.FormatBool(logged)).Inc()
}

// PolicyReload counts a reload and records the revision in force after it.
func (m *Metrics) PolicyReload(ok bool, revision string) {
	if ok {
		m.reloads.WithLabelValues("success").Inc()
		m.reloadOK.Set(1)
	} else {
		m.reloads.WithLabelValues("failure").Inc()
		m.reloadOK.Set(0)
	}
	m.SetRevision(revision)
}

// SetRevision records the policy revision in force.
func (m *Metrics) SetRevision(revision string) {
	m.policyVersion.Reset()
	m.policyVersion.WithLabelValues(revision).Set(1)
}

// Decider counts the decisions of d.
func (m *Metrics) Decider(d broker.Decider) broker.Decider { return decider{d, m} }

type decider struct {
	next broker.Decider
	m    *Metrics
}

func (d decider) Decide(ctx context.Context, in broker.DecisionInput) (broker.Decision, error) {
	dec, err := d.next.Decide(ctx, in)
	result := "deny"
	switch {
	case err != nil:
		result = "error"
	case dec.Allow:
		result = "allow"
	}
	d.m.decisions.WithLabelValues(in.Action, result).Inc()
	return dec, err
}

// Auditor counts the entries a writes, failures apart: the refusals and
// reads it appends, and the allow entries it commits with their writes.
// Every method of broker.Auditor that writes an entry must be counted here:
// an embedded interface passes any other through uncounted.
func (m *Metrics) Auditor(a broker.Auditor) broker.Auditor { return auditor{a, m} }

type auditor struct {
	broker.Auditor
	m *Metrics
}

func (a auditor) Append(ctx context.Context, e *broker.AuditEntry) error {
	return a.count(a.Auditor.Append(ctx, e))
}

func (a auditor) Commit(ctx context.Context, e *broker.AuditEntry, w broker.Write) error {
	return a.count(a.Auditor.Commit(ctx, e, w))
}

func (a auditor) count(err error) error {
	result := "ok"
	if err != nil {
		result = "failure"
	}
	a.m.auditAppends.WithLabelValues(result).Inc()
	return err
}
