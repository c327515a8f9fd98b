package ratelimit

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

func TestAuthGuardAdmit(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")
	v6a := netip.MustParseAddr("2001:db8:1:2::1")
	v6b := netip.MustParseAddr("2001:db8:1:2:ffff::9") // same /64
	v6c := netip.MustParseAddr("2001:db8:1:3::1")      // next /64
	mapped := netip.MustParseAddr("::ffff:192.0.2.1")  // a as IPv6
	one := AuthFailLimit{PerSecond: 1, Burst: 2, TotalPerSecond: 100, TotalBurst: 100}
	type step struct {
		addr netip.Addr
		at   time.Duration
		want bool
	}
	tests := []struct {
		name  string
		limit AuthFailLimit
		steps []step
	}{
		{"burst then counted", one, []step{{a, 0, true}, {a, 0, true}, {a, 0, false}, {a, 0, false}}},
		{"refills at the rate", one, []step{{a, 0, true}, {a, 0, true}, {a, 500 * time.Millisecond, false}, {a, time.Second, true}, {a, time.Second, false}}},
		{"one bucket per address", one, []step{{a, 0, true}, {a, 0, true}, {a, 0, false}, {b, 0, true}}},
		{"an IPv4-mapped address is the IPv4 client", one, []step{{a, 0, true}, {mapped, 0, true}, {a, 0, false}}},
		{"one bucket per IPv6 /64", one, []step{{v6a, 0, true}, {v6b, 0, true}, {v6a, 0, false}, {v6c, 0, true}}},
		{"a wider IPv6 prefix setting", AuthFailLimit{PerSecond: 1, Burst: 2, IPv6Prefix: 128}, []step{
			{v6a, 0, true}, {v6a, 0, true}, {v6b, 0, true}, {v6a, 0, false}}},
		{"unknown addresses share one bucket", one, []step{{netip.Addr{}, 0, true}, {netip.Addr{}, 0, true}, {netip.Addr{}, 0, false}}},
		{"all clients together are bounded", AuthFailLimit{PerSecond: 1, Burst: 5, TotalPerSecond: 1, TotalBurst: 3}, []step{
			{a, 0, true}, {b, 0, true}, {v6a, 0, true}, {v6c, 0, false}, {a, 0, false}, {b, time.Second, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewAuthFails(tt.limit, t0)
			for i, s := range tt.steps {
				if got := g.Admit(s.addr, t0.Add(s.at)); got != s.want {
					t.Fatalf("step %d (%v at %v): admitted=%v, want %v", i, s.addr, s.at, got, s.want)
				}
			}
		})
	}
}

// TestAuthGuardMemory: an attacker cycling addresses never grows the
// guard past Clients, and the total bucket still bounds what is audited;
// what is counted is never lost, forgotten clients included.
func TestAuthGuardMemory(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		limit AuthFailLimit
		addrs int
		each  int
	}{
		{"many IPv4 addresses once each", AuthFailLimit{Clients: 100, TotalPerSecond: 1, TotalBurst: 10}, 10_000, 1},
		{"many IPv6 networks, several each", AuthFailLimit{Clients: 64, TotalPerSecond: 1, TotalBurst: 10}, 5_000, 3},
		{"few clients, far under the bound", AuthFailLimit{Clients: 1000, Burst: 1, TotalBurst: 10}, 10, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewAuthFails(tt.limit, t0)
			admitted, peak := 0, 0
			for i := range tt.addrs {
				addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				if i%2 == 1 {
					addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, byte(i >> 16), byte(i >> 8), byte(i), 0, 0, 0, 0, 0, 0, 1})
				}
				for range tt.each {
					if g.Admit(addr, t0) {
						admitted++
					}
				}
				peak = max(peak, len(g.clients))
			}
			if peak > g.conf.Clients {
				t.Fatalf("%d clients remembered, bound %d", peak, g.conf.Clients)
			}
			if admitted > g.conf.TotalBurst {
				t.Fatalf("%d refusals audited at one instant, total burst %d", admitted, g.conf.TotalBurst)
			}
			_, counts := g.Drain(t0.Add(time.Minute))
			if len(counts) > g.conf.Summaries+1 {
				t.Fatalf("%d summary entries, at most %d", len(counts), g.conf.Summaries+1)
			}
			var counted int64
			for _, c := range counts {
				counted += c.N
			}
			if want := int64(tt.addrs*tt.each - admitted); counted != want {
				t.Fatalf("summaries count %d refusals, %d were not audited", counted, want)
			}
			if _, again := g.Drain(t0.Add(2 * time.Minute)); len(again) != 0 {
				t.Fatalf("a second summary with nothing new: %+v", again)
			}
		})
	}
}

// TestAuthGuardSummary: one count per client over the rate, the clients
// with most first and named, the rest in one count without a client.
func TestAuthGuardSummary(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	g := NewAuthFails(AuthFailLimit{Burst: 1, TotalBurst: 100, Summaries: 2}, t0)
	sends := map[string]int{"192.0.2.1": 5, "192.0.2.2": 1, "2001:db8::7": 9, "192.0.2.3": 3, "192.0.2.4": 2}
	for a, n := range sends {
		for range n + 1 { // the first is audited
			g.Admit(netip.MustParseAddr(a), t0)
		}
	}
	since, got := g.Drain(t0.Add(time.Minute))
	want := []broker.ClientCount{
		{Client: netip.MustParsePrefix("2001:db8::/64"), N: 9},
		{Client: netip.MustParsePrefix("192.0.2.1/32"), N: 5},
		{N: 3 + 1 + 2, Others: true},
	}
	if !since.Equal(t0) || !slices.Equal(got, want) {
		t.Fatalf("drained %v since %v, want %+v since %v", got, since, want, t0)
	}
}

func TestAuthFailLimitValidate(t *testing.T) {
	tests := []struct {
		name  string
		limit AuthFailLimit
		ok    bool
	}{
		{"zero is the defaults", AuthFailLimit{}, true},
		{"negative rate", AuthFailLimit{PerSecond: -1}, false},
		{"negative total burst", AuthFailLimit{TotalBurst: -1}, false},
		{"window under a second", AuthFailLimit{Window: time.Millisecond}, false},
		{"IPv6 prefix too short", AuthFailLimit{IPv6Prefix: 16}, false},
		{"IPv6 prefix too long", AuthFailLimit{IPv6Prefix: 129}, false},
		{"a whole IPv6 address", AuthFailLimit{IPv6Prefix: 128}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.limit.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestAuthGuardPutBack: counts a summary could not write come back in the
// next one, under their client while it is remembered, else with the rest.
func TestAuthGuardPutBack(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		name   string
		forget bool
		want   broker.ClientCount
	}{
		{"under its client", false, broker.ClientCount{Client: netip.MustParsePrefix("192.0.2.1/32"), N: 3}},
		{"with the rest once its client is forgotten", true, broker.ClientCount{N: 3, Others: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewAuthFails(AuthFailLimit{Burst: 1}, t0)
			for range 4 {
				g.Admit(a, t0)
			}
			_, cs := g.Drain(t0.Add(time.Minute))
			if len(cs) != 1 || cs[0].N != 3 {
				t.Fatalf("drained %+v", cs)
			}
			if tt.forget {
				clear(g.clients)
			}
			g.PutBack(cs[0])
			_, got := g.Drain(t0.Add(2 * time.Minute))
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("next summary %+v, want %+v", got, tt.want)
			}
		})
	}
}
