package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddress: the pipeline is given the TCP peer as the client,
// unless the peer is a proxy listed in TrustedProxies, whose forwarded
// address is then the client; a forwarded header from anyone else is
// ignored (it would let a flood pick a fresh client per request).
func TestClientAddress(t *testing.T) {
	tests := []struct {
		name      string
		trusted   []string
		peer      string
		forwarded string
		want      string
	}{
		{"the peer", nil, "192.0.2.7:5000", "", "192.0.2.7"},
		{"X-Forwarded-For ignored by default", nil, "192.0.2.7:5000", "203.0.113.9", "192.0.2.7"},
		{"X-Forwarded-For ignored from an untrusted peer", []string{"10.0.0.0/8"}, "192.0.2.7:5000", "203.0.113.9", "192.0.2.7"},
		{"X-Forwarded-For read from a trusted proxy", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		{"the last untrusted hop of the chain", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"an IPv6 peer", nil, "[2001:db8::1]:5000", "", "2001:db8::1"},
		{"a trusted proxy by address", []string{"::1"}, "[::1]:5000", "2001:db8::5", "2001:db8::5"},
		{"an unreadable peer is unknown", nil, "not-an-address", "", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := &stubBroker{}
			h := New(sb, Conf{Logger: quiet, TrustedProxies: tt.trusted})
			req := httptest.NewRequest("GET", "/v1/subjects/s_x/card", nil)
			req.RemoteAddr = tt.peer
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if sb.req == nil {
				t.Fatal("the pipeline was not called")
			}
			if got := sb.req.Client.String(); got != tt.want {
				t.Fatalf("client %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("a refused proxy list trusts no proxy", func(t *testing.T) {
		sb := &stubBroker{}
		h := New(sb, Conf{Logger: quiet, TrustedProxies: []string{"not a network"}})
		req := httptest.NewRequest("GET", "/v1/subjects/s_x/card", nil)
		req.RemoteAddr = "10.1.2.3:5000"
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if want := netip.MustParseAddr("10.1.2.3"); sb.req.Client != want {
			t.Fatalf("client %v, want the peer %v", sb.req.Client, want)
		}
	})
}
