package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The generator must stop at its bounds, count answers by status, keep to
// its schedule in open loop and report percentiles of what it measured.
func TestRun(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newClient(8)
	get := func(ctx context.Context, i int) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		return send(c, req)
	}
	ctx := context.Background()

	t.Run("closed loop stops at the request bound", func(t *testing.T) {
		hits.Store(0)
		r := run(ctx, "t", load{Concurrency: 4, Requests: 200, Duration: time.Minute}, get)
		if len(r.Lat) != 200 || r.OK != 150 || r.Statuses[503] != 50 {
			t.Fatalf("%d answers, %d ok, statuses %v; want 200, 150 ok, 50 of 503", len(r.Lat), r.OK, r.Statuses)
		}
	})
	t.Run("closed loop stops at the time bound", func(t *testing.T) {
		slow := func(ctx context.Context, i int) int {
			select {
			case <-time.After(20 * time.Millisecond):
				return 200
			case <-ctx.Done():
				return 0
			}
		}
		r := run(ctx, "t", load{Concurrency: 2, Requests: 1_000_000, Duration: 300 * time.Millisecond}, slow)
		if r.Elapsed > 5*time.Second || len(r.Lat) == 0 || len(r.Lat) > 100 || r.Statuses[0] != 0 {
			t.Fatalf("ran %v, %d answers, statuses %v", r.Elapsed, len(r.Lat), r.Statuses)
		}
	})
	t.Run("open loop keeps to its rate", func(t *testing.T) {
		r := run(ctx, "t", load{Rate: 200, Requests: 100, Duration: time.Minute, MaxInFlight: 16}, get)
		// 100 requests at 200/s take half a second; generous on a busy machine.
		if len(r.Lat) != 100 || r.Elapsed < 450*time.Millisecond || r.Elapsed > 5*time.Second {
			t.Fatalf("%d answers in %v, want 100 in about 500ms", len(r.Lat), r.Elapsed)
		}
	})
	t.Run("a refused connection is a transport error", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL
		dead.Close()
		r := run(ctx, "t", load{Concurrency: 1, Requests: 3, Duration: time.Minute}, func(ctx context.Context, i int) int {
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			return send(c, req)
		})
		if r.Statuses[0] != 3 || r.OK != 0 {
			t.Fatalf("statuses %v, ok %d; want 3 transport errors", r.Statuses, r.OK)
		}
	})
}

func TestPct(t *testing.T) {
	r := result{}
	for i := 1; i <= 100; i++ {
		r.Lat = append(r.Lat, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}}
	for _, tt := range tests {
		if got := r.Pct(tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := (result{}).Pct(99); got != 0 {
		t.Errorf("p99 of nothing = %v, want 0", got)
	}
}

func TestLoopbackURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"https://127.0.0.2", true},
		{"http://10.0.0.1:8080", false},
		{"http://broker.example.org", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if err := loopbackURL(tt.url); (err == nil) != tt.ok {
				t.Fatalf("loopbackURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
			}
		})
	}
}

// A request that never answers must not vanish from the result: the ones
// still in flight when the grace period ends are cut off, the ones due in
// open loop but never sent (every slot taken) are unsent, and neither is in
// the latencies. A request that answers within the grace period is an
// answer.
func TestRunCountsUnanswered(t *testing.T) {
	hang := func(ctx context.Context, i int) int { <-ctx.Done(); return 0 }
	sleep := func(d time.Duration) op {
		return func(ctx context.Context, i int) int {
			select {
			case <-time.After(d):
				return 200
			case <-ctx.Done():
				return 0
			}
		}
	}
	tests := []struct {
		name                  string
		l                     load
		o                     op
		answered, cut, unsent int
	}{
		// 100/s for 300ms: 30 requests due; 5 slots fill, 25 wait in vain.
		{"open loop, slots full until the grace ends", load{Rate: 100, Requests: 1000, Duration: 300 * time.Millisecond, MaxInFlight: 5, Grace: 100 * time.Millisecond}, hang, 0, 5, 25},
		{"open loop, answers slower than the grace", load{Rate: 100, Requests: 1000, Duration: 300 * time.Millisecond, MaxInFlight: 64, Grace: 100 * time.Millisecond}, sleep(2 * time.Second), 0, 30, 0},
		{"open loop, answers within the grace", load{Rate: 100, Requests: 1000, Duration: 300 * time.Millisecond, MaxInFlight: 64, Grace: 2 * time.Second}, sleep(300 * time.Millisecond), 30, 0, 0},
		{"open loop, request bound before the deadline", load{Rate: 100, Requests: 10, Duration: time.Minute, MaxInFlight: 64, Grace: 2 * time.Second}, sleep(10 * time.Millisecond), 10, 0, 0},
		{"closed loop, in flight at the deadline", load{Concurrency: 3, Requests: 1000, Duration: 100 * time.Millisecond, Grace: 50 * time.Millisecond}, hang, 0, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(context.Background(), "t", tt.l, tt.o)
			if len(r.Lat) != tt.answered || r.CutOff != tt.cut || r.Unsent != tt.unsent {
				t.Fatalf("%d answered, %d cut off, %d unsent (statuses %v); want %d, %d, %d",
					len(r.Lat), r.CutOff, r.Unsent, r.Statuses, tt.answered, tt.cut, tt.unsent)
			}
			if r.Statuses[0] != 0 {
				t.Fatalf("a request cut off is counted as a transport error: %v", r.Statuses)
			}
		})
	}
}

func TestDueBefore(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		interval time.Duration
		d        time.Duration
		want     int
	}{
		{"exact multiple", 1000, 5 * time.Millisecond, time.Second, 200},
		{"a partial interval counts", 1000, 3 * time.Millisecond, 10 * time.Millisecond, 4},
		{"bounded by n", 10, time.Millisecond, time.Second, 10},
		{"zero interval", 7, 0, time.Second, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dueBefore(tt.n, tt.interval, tt.d); got != tt.want {
				t.Fatalf("dueBefore(%d, %v, %v) = %d, want %d", tt.n, tt.interval, tt.d, got, tt.want)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
	}{
		{"plain", "4242 (livc-broker) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 31 0 0 20 0 9 0", 2810 * time.Millisecond},
		{"name with spaces and parentheses", "7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0", 70 * time.Millisecond},
		{"truncated", "7 (x) R 1 7", 0},
		{"no name", "garbage", 0},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a 4 0 0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseStatCPU(tc.stat); got != tc.want {
				t.Errorf("parseStatCPU = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		busy, all  time.Duration
	}{
		{"with guest time", "cpu  100 5 20 300 10 1 4 10 7 0\ncpu0 50 2 10 150 5 0 2 5 3 0\n", 1300 * time.Millisecond, 4500 * time.Millisecond},
		{"first line only", "cpu  1 0 1 2 0 0 0 0\nintr 1 2 3", 20 * time.Millisecond, 40 * time.Millisecond},
		{"too few fields", "cpu  1 2 3 4", 0, 0},
		{"a core's line", "cpu0 1 2 3 4 5 6 7 8 9 10", 0, 0},
		{"not a number", "cpu  1 2 x 4 5 6 7 8 9 10", 0, 0},
		{"negative", "cpu  1 2 -3 4 5 6 7 8 9 10", 0, 0},
		{"empty", "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if busy, all := parseProcStat(tc.stat); busy != tc.busy || all != tc.all {
				t.Errorf("parseProcStat = %v, %v; want %v, %v", busy, all, tc.busy, tc.all)
			}
		})
	}
}

func TestMachineBusy(t *testing.T) {
	r := merge("card", []result{
		{CPU: map[string]time.Duration{machineBusy: 3 * time.Second, machineAll: 4 * time.Second}},
		{CPU: map[string]time.Duration{machineBusy: 5 * time.Second, machineAll: 6 * time.Second}},
	})
	if got := r.machineBusy(); got != "80%" {
		t.Errorf("two rounds: machine busy %q, want 80%%", got)
	}
	if got := (result{CPU: map[string]time.Duration{"server": time.Second}}).machineBusy(); got != "" {
		t.Errorf("not measured: %q, want nothing", got)
	}
}

func TestCPUPerRequest(t *testing.T) {
	r := result{Lat: make([]time.Duration, 1000), CPU: map[string]time.Duration{
		"tool": 50 * time.Millisecond, "server": 180 * time.Millisecond, "redis": 40 * time.Millisecond,
	}}
	if got, want := r.cpuPerRequest(), "server 180µs redis 40µs tool 50µs"; got != want {
		t.Errorf("cpuPerRequest = %q, want %q", got, want)
	}
	if got := (result{CPU: r.CPU}).cpuPerRequest(); got != "" {
		t.Errorf("no answers: %q, want nothing", got)
	}
}

func TestMerge(t *testing.T) {
	a := result{Elapsed: time.Second, Lat: []time.Duration{3, 1}, Statuses: map[int]int{200: 2}, OK: 2,
		CPU: map[string]time.Duration{"server": 10}, RSSKB: 1}
	b := result{Elapsed: 3 * time.Second, Lat: []time.Duration{2, 4}, Statuses: map[int]int{200: 1, 503: 1}, OK: 1,
		CutOff: 1, CPU: map[string]time.Duration{"server": 5, "tool": 1}, RSSKB: 7, HWMKB: 9}
	m := merge("card", []result{a, b})
	if m.RPS() != 0.75 || m.Elapsed != 4*time.Second || m.OK != 3 || m.CutOff != 1 {
		t.Errorf("merged %+v: %.2f/s", m, m.RPS())
	}
	if fmt.Sprint(m.Lat) != "[1ns 2ns 3ns 4ns]" || m.Statuses[200] != 3 || m.Statuses[503] != 1 {
		t.Errorf("latencies %v, statuses %v", m.Lat, m.Statuses)
	}
	if m.CPU["server"] != 15 || m.CPU["tool"] != 1 || m.RSSKB != 7 || m.HWMKB != 9 || m.Name != "card, 2 rounds" {
		t.Errorf("CPU %v, memory %d/%d, name %q", m.CPU, m.RSSKB, m.HWMKB, m.Name)
	}
	if one := merge("card", []result{a}); one.Name != "card" || one.RPS() != 2 {
		t.Errorf("one run: %q %.1f/s", one.Name, one.RPS())
	}
}
