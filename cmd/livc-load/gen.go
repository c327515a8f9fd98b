package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// op sends one request and returns its HTTP status (0 for a transport
// error). i numbers the request within the run, so that an op can pick its
// input without sharing state.
type op func(ctx context.Context, i int) int

// load is how a run drives its op: closed loop (Concurrency workers, each
// sending its next request when the previous answers) or open loop (Rate
// requests per second on a fixed schedule, whatever the answers, at most
// MaxInFlight at once). A run starts no request after Requests requests or
// Duration, whichever comes first; requests in flight then have Grace
// (defaultGrace when 0) to answer before they are cancelled and counted as
// cut off.
type load struct {
	Concurrency int
	Rate        float64
	Requests    int
	Duration    time.Duration
	MaxInFlight int
	Grace       time.Duration
}

// defaultGrace is how long requests in flight at the deadline may take to
// answer: long enough for any healthy answer, short enough that a run ends.
const defaultGrace = 2 * time.Second

func (l load) String() string {
	if l.Rate > 0 {
		return fmt.Sprintf("open loop at %.0f req/s", l.Rate)
	}
	return fmt.Sprintf("closed loop, %d concurrent", l.Concurrency)
}

func (l load) grace() time.Duration {
	if l.Grace > 0 {
		return l.Grace
	}
	return defaultGrace
}

// result is what a run measured. Lat and Statuses hold answered requests
// only; a request that never answered is in CutOff or Unsent, so that it
// cannot flatter the percentiles or the error count unseen.
type result struct {
	Name     string
	Load     load
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Statuses map[int]int
	OK       int // 2xx answers
	CutOff   int // sent, still unanswered at the end of the grace period, cancelled
	Unsent   int // open loop: due before the deadline, never sent (no free slot in time)
	RSSKB    int64
	HWMKB    int64
	// CPU is the CPU time each measured process used during the run, by
	// label (server, redis, tool); empty when not measured.
	CPU map[string]time.Duration
}

// tally is the run's shared count, safe for concurrent use.
type tally struct {
	mu       sync.Mutex
	lat      []time.Duration
	statuses map[int]int
	cutOff   int
}

func (t *tally) answered(d time.Duration, status int) {
	t.mu.Lock()
	t.lat = append(t.lat, d)
	t.statuses[status]++
	t.mu.Unlock()
}

func (t *tally) cut() {
	t.mu.Lock()
	t.cutOff++
	t.mu.Unlock()
}

// settle files one request's outcome: a transport error (status 0) once
// the grace period is over is a request cut off, anything else an answer.
func (t *tally) settle(ctx context.Context, d time.Duration, status int) {
	if status == 0 && ctx.Err() != nil {
		t.cut()
		return
	}
	t.answered(d, status)
}

// run drives o under l and returns the measurements. An answer is a
// success when its status is 2xx; anything else is counted by status. The
// op's context ends Grace after the deadline (or with ctx), not at it.
func run(ctx context.Context, name string, l load, o op) result {
	start := time.Now()
	end := start.Add(l.Duration)
	reqCtx, cancel := context.WithDeadline(ctx, end.Add(l.grace()))
	defer cancel()
	t := &tally{lat: make([]time.Duration, 0, min(l.Requests, 1<<20)), statuses: map[int]int{}}
	var unsent int
	if l.Rate > 0 {
		unsent = openLoop(reqCtx, l, o, t, start, end)
	} else {
		closedLoop(reqCtx, l, o, t, end)
	}
	r := result{Name: name, Load: l, Elapsed: time.Since(start), Lat: t.lat, Statuses: t.statuses,
		CutOff: t.cutOff, Unsent: unsent}
	for code, n := range t.statuses {
		if code >= 200 && code < 300 {
			r.OK += n
		}
	}
	slices.Sort(r.Lat)
	return r
}

// openLoop sends request k at start + k/rate, for every k due before end,
// and returns how many of those it could not send: none, unless the
// MaxInFlight slots stayed full until the grace period ended (or ctx was
// cancelled). Latency counts from the due time, so that a slow answer does
// not hide the queue behind it.
func openLoop(ctx context.Context, l load, o op, t *tally, start, end time.Time) int {
	sem := make(chan struct{}, max(l.MaxInFlight, 1))
	interval := time.Duration(float64(time.Second) / l.Rate)
	due := dueBefore(l.Requests, interval, l.Duration)
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := 0; k < due; k++ {
		at := start.Add(time.Duration(k) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() == nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			return due - k
		}
		wg.Add(1)
		go func(k int, at time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			st := o(ctx, k)
			t.settle(ctx, time.Since(at), st)
		}(k, at)
	}
	return 0
}

// dueBefore is how many of n requests, one every interval from 0, are due
// strictly before d: k*interval < d for k < ceil(d/interval).
func dueBefore(n int, interval, d time.Duration) int {
	if interval <= 0 {
		return n
	}
	return int(min(int64(n), int64((d+interval-1)/interval)))
}

// closedLoop runs Concurrency workers until Requests are taken or end has
// passed.
func closedLoop(ctx context.Context, l load, o op, t *tally, end time.Time) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < max(l.Concurrency, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= l.Requests || !time.Now().Before(end) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				st := o(ctx, k)
				t.settle(ctx, time.Since(t0), st)
			}
		}()
	}
	wg.Wait()
}

// merge is runs taken as one run named name: their requests, answers and
// CPU added up, their time end to end, their latencies together; the
// memory is the last run's.
func merge(name string, runs []result) result {
	m := result{Name: name, Statuses: map[int]int{}, CPU: map[string]time.Duration{}}
	for i, r := range runs {
		if i == 0 {
			m.Load = r.Load
		}
		m.Elapsed += r.Elapsed
		m.Lat = append(m.Lat, r.Lat...)
		for code, n := range r.Statuses {
			m.Statuses[code] += n
		}
		for label, d := range r.CPU {
			m.CPU[label] += d
		}
		m.OK += r.OK
		m.CutOff += r.CutOff
		m.Unsent += r.Unsent
		m.RSSKB, m.HWMKB = r.RSSKB, r.HWMKB
	}
	slices.Sort(m.Lat)
	if len(runs) > 1 {
		m.Name = fmt.Sprintf("%s, %d rounds", name, len(runs))
	}
	return m
}

// RPS is successful answers per second.
func (r result) RPS() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// Pct returns the p-th percentile latency (0 < p <= 100).
func (r result) Pct(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	i := int(float64(len(r.Lat))*p/100+0.5) - 1
	return r.Lat[min(max(i, 0), len(r.Lat)-1)]
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "%-28s %s, %d requests in %.1fs: %.0f ok/s; latency p50 %s p90 %s p99 %s max %s; statuses %s",
		r.Name, r.Load, len(r.Lat), r.Elapsed.Seconds(), r.RPS(),
		ms(r.Pct(50)), ms(r.Pct(90)), ms(r.Pct(99)), ms(r.Pct(100)), statusList(r.Statuses))
	if r.CutOff > 0 || r.Unsent > 0 || r.Load.Rate > 0 {
		fmt.Fprintf(w, "; cut off at the deadline %d, due but unsent %d", r.CutOff, r.Unsent)
	}
	if r.RSSKB > 0 {
		fmt.Fprintf(w, "; server RSS %.1f MB (peak %.1f MB)", float64(r.RSSKB)/1024, float64(r.HWMKB)/1024)
	}
	if s := r.cpuPerRequest(); s != "" {
		fmt.Fprintf(w, "; CPU per answer %s", s)
	}
	if s := r.machineBusy(); s != "" {
		fmt.Fprintf(w, "; machine busy %s", s)
	}
	fmt.Fprintln(w)
}

// machineBusy is the share of the machine's core time that was busy during
// the run, "81%"; "" when not measured.
func (r result) machineBusy() string {
	all := r.CPU[machineAll]
	if all <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100*float64(r.CPU[machineBusy])/float64(all))
}

// cpuPerRequest is the CPU time of each measured process per answer,
// "server 180µs redis 40µs tool 50µs", in that order; "" when not measured.
func (r result) cpuPerRequest() string {
	n := len(r.Lat)
	if n == 0 || len(r.CPU) == 0 {
		return ""
	}
	var parts []string
	for _, label := range []string{"server", "redis", "tool"} {
		if d, ok := r.CPU[label]; ok {
			parts = append(parts, fmt.Sprintf("%s %dµs", label, d.Microseconds()/int64(n)))
		}
	}
	return strings.Join(parts, " ")
}

// statusList is "200:n 503:m …" in the order of the codes; status 0 is
// transport-error.
func statusList(statuses map[int]int) string {
	var st []string
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		label := fmt.Sprint(code)
		if code == 0 {
			label = "transport-error"
		}
		st = append(st, fmt.Sprintf("%s:%d", label, statuses[code]))
	}
	return strings.Join(st, " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// newClient is an HTTP client that keeps one connection per concurrent
// request to the loopback server.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// send does req and drains the answer so the connection is reused.
func send(c *http.Client, req *http.Request) int {
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
