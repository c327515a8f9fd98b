package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

type fakeDecider struct {
	d   broker.Decision
	err error
}

func (f fakeDecider) Decide(context.Context, broker.DecisionInput) (broker.Decision, error) {
	return f.d, f.err
}

type fakeAuditor struct {
	broker.Auditor
	err error
}

func (f fakeAuditor) Append(context.Context, *broker.AuditEntry) error { return f.err }

func (f fakeAuditor) Commit(context.Context, *broker.AuditEntry, broker.Write) error { return f.err }

func scrape(t *testing.T, m *Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	m := New()
	ctx := context.Background()
	m.ObserveRequest("GET", "/v1/subjects/:ref/card", 200, time.Millisecond)
	m.ObserveRequest("BREW", "", 405, time.Millisecond) // unknown method and route are bounded
	for _, d := range []fakeDecider{{d: broker.Decision{Allow: true}}, {}, {err: errors.New("x")}} {
		m.Decider(d).Decide(ctx, broker.DecisionInput{Action: "card.read"})
	}
	m.Auditor(fakeAuditor{}).Append(ctx, &broker.AuditEntry{})
	m.Auditor(fakeAuditor{err: errors.New("down")}).Append(ctx, &broker.AuditEntry{})
	// A write's allow entry is committed with it, not appended: it counts too.
	m.Auditor(fakeAuditor{}).Commit(ctx, &broker.AuditEntry{}, nil)
	m.Auditor(fakeAuditor{}).Commit(ctx, &broker.AuditEntry{}, nil)
	m.Auditor(fakeAuditor{err: errors.New("down")}).Commit(ctx, &broker.AuditEntry{}, nil)
	m.PolicyReload(false, "abc")
	m.CountAuthFailure(true)
	m.CountAuthFailure(false)
	m.CountAuthFailure(false)
	out := scrape(t, m)
	for _, want := range []string{
		`livc_http_requests_total{method="GET",route="/v1/subjects/:ref/card",status="200"} 1`,
		`livc_http_requests_total{method="OTHER",route="unmatched",status="405"} 1`,
		`livc_policy_decisions_total{action="card.read",result="allow"} 1`,
		`livc_policy_decisions_total{action="card.read",result="deny"} 1`,
		`livc_policy_decisions_total{action="card.read",result="error"} 1`,
		`livc_audit_appends_total{result="ok"} 3`,
		`livc_audit_appends_total{result="failure"} 2`,
		`livc_policy_reloads_total{result="failure"} 1`,
		`livc_policy_last_reload_success 0`,
		`livc_policy_revision_info{revision="abc"} 1`,
		`livc_auth_failures_total{logged="true"} 1`,
		`livc_auth_failures_total{logged="false"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(out, "BREW") {
		t.Error("an arbitrary method became a label")
	}
}
