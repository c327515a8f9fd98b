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
// MaxInFlight at once). A run stops after Requests requests or Duration,
// whichever comes first.
type load struct {
	Concurrency int
	Rate        float64
	Requests    int
	Duration    time.Duration
	MaxInFlight int
}

func (l load) String() string {
	if l.Rate > 0 {
		return fmt.Sprintf("open loop at %.0f req/s", l.Rate)
	}
	return fmt.Sprintf("closed loop, %d concurrent", l.Concurrency)
}

// result is what a run measured.
type result struct {
	Name     string
	Load     load
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Statuses map[int]int
	OK       int // 2xx answers
	RSSKB    int64
	HWMKB    int64
}

// run drives o under l and returns the measurements. An answer is a
// success when its status is 2xx; anything else is counted by status.
func run(ctx context.Context, name string, l load, o op) result {
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	var (
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, min(l.Requests, 1<<20))
		statuses = map[int]int{}
		next     atomic.Int64
	)
	record := func(d time.Duration, status int) {
		mu.Lock()
		lat = append(lat, d)
		statuses[status]++
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	if l.Rate > 0 {
		// Open loop: request k is due at start + k/rate; its latency counts
		// from then, so a slow answer does not hide the queue behind it.
		sem := make(chan struct{}, max(l.MaxInFlight, 1))
		interval := time.Duration(float64(time.Second) / l.Rate)
		for k := 0; k < l.Requests; k++ {
			due := start.Add(time.Duration(k) * interval)
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				break
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			go func(k int, due time.Time) {
				defer wg.Done()
				defer func() { <-sem }()
				st := o(ctx, k)
				if ctx.Err() == nil || st != 0 {
					record(time.Since(due), st)
				}
			}(k, due)
		}
	} else {
		for w := 0; w < max(l.Concurrency, 1); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := int(next.Add(1) - 1)
					if k >= l.Requests || ctx.Err() != nil {
						return
					}
					t0 := time.Now()
					st := o(ctx, k)
					if ctx.Err() != nil && st == 0 {
						return // cut by the deadline, not an error of the server
					}
					record(time.Since(t0), st)
				}
			}()
		}
	}
	wg.Wait()
	r := result{Name: name, Load: l, Elapsed: time.Since(start), Lat: lat, Statuses: statuses}
	for code, n := range statuses {
		if code >= 200 && code < 300 {
			r.OK += n
		}
	}
	slices.Sort(r.Lat)
	return r
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
	var st []string
	for _, code := range slices.Sorted(maps.Keys(r.Statuses)) {
		label := fmt.Sprint(code)
		if code == 0 {
			label = "transport-error"
		}
		st = append(st, fmt.Sprintf("%s:%d", label, r.Statuses[code]))
	}
	fmt.Fprintf(w, "%-28s %s, %d requests in %.1fs: %.0f ok/s; latency p50 %s p90 %s p99 %s max %s; statuses %s",
		r.Name, r.Load, len(r.Lat), r.Elapsed.Seconds(), r.RPS(),
		ms(r.Pct(50)), ms(r.Pct(90)), ms(r.Pct(99)), ms(r.Pct(100)), strings.Join(st, " "))
	if r.RSSKB > 0 {
		fmt.Fprintf(w, "; server RSS %.1f MB (peak %.1f MB)", float64(r.RSSKB)/1024, float64(r.HWMKB)/1024)
	}
	fmt.Fprintln(w)
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
