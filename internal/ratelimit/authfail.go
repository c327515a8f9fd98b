package ratelimit

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/livc/livc-broker/broker"
)

// AuthFailLimit bounds what refused logins (401s) cost the audit log. A
// refused token proves nothing, so nothing it claims is trusted: its refusal
// goes to the broker's own log, never to a cell's, with only what the broker
// sees itself (the client's address, the reason the token was refused).
// Each client's refusals are audited one by one while its bucket (Burst,
// refilled at PerSecond) and the bucket of all clients together
// (TotalBurst, TotalPerSecond) both hold a token; past that they are
// counted, and once per Window the broker's log gets one entry per client
// saying how many (Summaries of them at most, for the clients with most;
// the rest in one entry). So the broker's log grows by at most about
// TotalPerSecond entries a second plus Summaries+1 per Window, whatever an
// attacker sends and from however many addresses. Zero fields take the
// defaults of DefaultAuthFailLimit.
type AuthFailLimit struct {
	PerSecond      float64
	Burst          int
	TotalPerSecond float64
	TotalBurst     int
	// Clients bounds the clients remembered at once (about 200 bytes
	// each); past it, idle ones are forgotten first.
	Clients   int
	Window    time.Duration
	Summaries int
	// IPv6Prefix is how many leading bits of an IPv6 address make one
	// client: a subscriber usually holds a whole /64, and would otherwise
	// get a fresh bucket per address.
	IPv6Prefix int
}

// DefaultAuthFailLimit: a client's first 20 refusals are audited, then one
// every 10 seconds; all clients together 200, then two a second; a summary
// a minute naming at most 20 clients.
func DefaultAuthFailLimit() AuthFailLimit {
	return AuthFailLimit{PerSecond: 0.1, Burst: 20, TotalPerSecond: 2, TotalBurst: 200,
		Clients: 10_000, Window: time.Minute, Summaries: 20, IPv6Prefix: 64}
}

// WithDefaults returns a with every zero field set to its default.
func (a AuthFailLimit) WithDefaults() AuthFailLimit {
	d := DefaultAuthFailLimit()
	a.PerSecond = cmp.Or(a.PerSecond, d.PerSecond)
	a.Burst = cmp.Or(a.Burst, d.Burst)
	a.TotalPerSecond = cmp.Or(a.TotalPerSecond, d.TotalPerSecond)
	a.TotalBurst = cmp.Or(a.TotalBurst, d.TotalBurst)
	a.Clients = cmp.Or(a.Clients, d.Clients)
	a.Window = cmp.Or(a.Window, d.Window)
	a.Summaries = cmp.Or(a.Summaries, d.Summaries)
	a.IPv6Prefix = cmp.Or(a.IPv6Prefix, d.IPv6Prefix)
	return a
}

// Validate refuses a limit that is negative or makes no sense; zero fields
// are defaults and pass.
func (a AuthFailLimit) Validate() error {
	a = a.WithDefaults()
	for _, r := range []float64{a.PerSecond, a.TotalPerSecond} {
		if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("auth failure rate %v per second is not a positive number", r)
		}
	}
	switch {
	case a.Burst < 1 || a.TotalBurst < 1:
		return fmt.Errorf("auth failure bursts must be at least 1, got %d and %d", a.Burst, a.TotalBurst)
	case a.Clients < 1 || a.Summaries < 1:
		return fmt.Errorf("auth failure clients and summaries must be at least 1, got %d and %d", a.Clients, a.Summaries)
	case a.Window < time.Second:
		return fmt.Errorf("auth failure window must be at least 1s, got %v", a.Window)
	case a.IPv6Prefix < 32 || a.IPv6Prefix > 128:
		return fmt.Errorf("auth failure IPv6 prefix must be from 32 to 128 bits, got %d", a.IPv6Prefix)
	}
	return nil
}

// AuthFails implements broker.AuthFailCounter: it decides which refused
// logins are audited one by one and counts the others. Its memory is
// bounded by Clients, whatever the addresses.
type AuthFails struct {
	conf  AuthFailLimit
	total *rate.Limiter

	mu      sync.Mutex
	clients map[netip.Prefix]*authClient
	// others counts the unlogged refusals of clients forgotten before
	// their summary was written.
	others int64
	since  time.Time // start of the current window
}

type authClient struct {
	lim      *rate.Limiter
	unlogged int64
}

var _ broker.AuthFailCounter = (*AuthFails)(nil)

// NewAuthFails returns the counter of a (its zero fields the defaults;
// Validate it first), its first window starting at now.
func NewAuthFails(a AuthFailLimit, now time.Time) *AuthFails {
	a = a.WithDefaults()
	return &AuthFails{conf: a, total: rate.NewLimiter(rate.Limit(a.TotalPerSecond), a.TotalBurst),
		clients: map[netip.Prefix]*authClient{}, since: now}
}

// clientOf is the client an address counts as: an IPv4 address (an IPv4
// address mapped into IPv6 included) alone, an IPv6 address's network of
// IPv6Prefix bits. Every unknown address (the zero Addr) is one client.
func clientOf(addr netip.Addr, ipv6Prefix int) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	bits := 32
	switch {
	case !addr.IsValid():
		return netip.Prefix{}
	case addr.Is6():
		bits = ipv6Prefix
	}
	p, _ := addr.Prefix(bits) // bits fit the address by Validate
	return p
}

// Admit reports whether a refused login of addr is audited one by one; if
// not, it counts it.
func (g *AuthFails) Admit(addr netip.Addr, now time.Time) bool {
	key := clientOf(addr, g.conf.IPv6Prefix)
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.clients[key]
	if c == nil {
		if len(g.clients) >= g.conf.Clients {
			g.sweep(now)
		}
		c = &authClient{lim: rate.NewLimiter(rate.Limit(g.conf.PerSecond), g.conf.Burst)}
		g.clients[key] = c
	}
	if c.lim.AllowN(now, 1) && g.total.AllowN(now, 1) {
		return true
	}
	c.unlogged++
	return false
}

// sweep forgets the clients that have counted nothing since the last
// summary and whose bucket is full again; if that frees too little (an
// attacker cycling addresses), it forgets clients at random down to three
// quarters of Clients, their counts kept in others. A forgotten client
// starts again with a full bucket, which the total bucket still bounds.
func (g *AuthFails) sweep(now time.Time) {
	for k, c := range g.clients {
		if c.unlogged == 0 && c.lim.TokensAt(now) >= float64(g.conf.Burst) {
			delete(g.clients, k)
		}
	}
	for k, c := range g.clients { // map order is random
		if len(g.clients) < g.conf.Clients/4*3 || len(g.clients) <= 1 {
			break
		}
		g.others += c.unlogged
		delete(g.clients, k)
	}
}

// Drain takes the counts of the window that ends now and starts the next:
// one per client that has any, the Summaries clients with most, then one
// for the rest. It returns none when nothing was counted.
func (g *AuthFails) Drain(now time.Time) (since time.Time, out []broker.ClientCount) {
	g.mu.Lock()
	for k, c := range g.clients {
		if c.unlogged > 0 {
			out = append(out, broker.ClientCount{Client: k, N: c.unlogged})
			c.unlogged = 0
		}
	}
	others := g.others
	since, g.others, g.since = g.since, 0, now
	g.mu.Unlock()

	slices.SortFunc(out, func(a, b broker.ClientCount) int { return cmp.Compare(b.N, a.N) })
	for _, c := range out[min(len(out), g.conf.Summaries):] {
		others += c.N
	}
	out = out[:min(len(out), g.conf.Summaries)]
	if others > 0 {
		out = append(out, broker.ClientCount{N: others, Others: true})
	}
	return since, out
}

// PutBack returns counts the log refused to the window under way, so that
// the next summary has them.
func (g *AuthFails) PutBack(c broker.ClientCount) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cl := g.clients[c.Client]; cl != nil && !c.Others {
		cl.unlogged += c.N
		return
	}
	g.others += c.N
}

// Window is how often the refused logins only counted are summed up.
func (g *AuthFails) Window() time.Duration { return g.conf.Window }
