package broker

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestAuthFailSummaryEntry: a count of refused logins becomes an entry of
// the broker's own log that names the client (an address, an IPv6 network,
// none for the rest) and the count, and nothing a token claims.
func TestAuthFailSummaryEntry(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		count  ClientCount
		client string
	}{
		{"an IPv6 network", ClientCount{Client: netip.MustParsePrefix("2001:db8::/64"), N: 9}, "2001:db8::/64"},
		{"an address", ClientCount{Client: netip.MustParsePrefix("192.0.2.1/32"), N: 5}, "192.0.2.1"},
		{"an unknown address", ClientCount{N: 2}, ""},
		{"the other clients", ClientCount{N: 6, Others: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := summaryEntry(tt.count, t0.Add(time.Minute), t0)
			if e.Client != tt.client || countOf(t, e) != tt.count.N || e.Action != ActionAuthFailUnlogged ||
				e.Decision != DecisionDeny || e.Livc != "" || e.Actor != "" || e.Sub != "" || !isID(e.ID, "aud_") ||
				!strings.Contains(e.Reason, t0.Format(time.RFC3339)) {
				t.Errorf("%+v, want client %q count %d", e, tt.client, tt.count.N)
			}
		})
	}
}

func countOf(t *testing.T, e AuditEntry) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(e.Reason, &n); err != nil || !strings.Contains(e.Reason, "not logged one by one") {
		t.Fatalf("summary reason %q", e.Reason)
	}
	return n
}
