package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Soak defaults: a steady rate the 2-core machine holds with room to
// spare, for long enough that a leak shows between the first and the last
// minute.
const (
	soakRate     = 200
	soakDuration = 5 * time.Minute
	// soakWarm requests (closed loop) bring connections, caches and the
	// runtime to their steady state before the first minute is measured.
	soakWarm = 400
	// maxRSSGrowth is the most the broker's mean RSS may grow from the
	// first window of the run to the last.
	maxRSSGrowth = 0.10
)

// soakDefaults gives the soak its own defaults for the flags not set on
// the command line (set holds the names of those that were), and enough
// requests for the whole run.
func (o *options) soakDefaults(set map[string]bool) {
	if o.Scenario != "soak" {
		return
	}
	if !set["rate"] {
		o.Rate = soakRate
	}
	if !set["d"] {
		o.Duration = soakDuration
	}
	if !set["n"] {
		o.Requests = max(o.Requests, soakRequests(*o)+1)
	}
}

// soakRequests is how many requests the schedule of a soak holds.
func soakRequests(o options) int {
	return int(math.Ceil(o.Rate * o.Duration.Seconds()))
}

// soak is the long steady run of issue 6: an open loop of card reads,
// submissions and dossier lists at o.Rate for o.Duration, the broker's RSS
// sampled throughout; then every acknowledged submission is read back, the
// audit log is verified as the privacy officer, and the criteria are
// printed, PASS or FAIL each. It returns an error when any criterion
// fails, or when the run could not be made at all.
func (e *env) soak(ctx context.Context, o options, w io.Writer) error {
	if o.Rate <= 0 {
		return errors.New("soak is an open loop: -rate must be positive")
	}
	if o.Requests < soakRequests(o) {
		return fmt.Errorf("-n %d is fewer than the %d requests of -rate %.0f for -d %v", o.Requests, soakRequests(o), o.Rate, o.Duration)
	}
	if e.broker == nil || len(e.t.dpo) == 0 {
		return errors.New("soak starts a broker of its own, to sample its memory (no -url)")
	}
	header(w, "soak")
	f, err := e.soakMeasure(ctx, o, w)
	if err != nil {
		return err
	}
	return judge(w, "soak", f.criteria())
}

// soakFindings is what a soak measured, for its verdict.
type soakFindings struct {
	warm, run   result
	acks        int // submissions answered 201 with a receipt
	badReceipts int // answered 201 without one
	rb          readBackResult
	av          verifyResult
	mem         memGrowth
}

// soakMeasure seals the signals, warms up, runs the open loop while sampling
// the broker's RSS, reads back and verifies, printing each step.
func (e *env) soakMeasure(ctx context.Context, o options, w io.Writer) (soakFindings, error) {
	var f soakFindings
	s := &soakRun{t: e.t}
	t0 := time.Now()
	if err := e.sealFor(o, soakEnvelopes(soakWarm+soakRequests(o))); err != nil {
		return f, err
	}
	fmt.Fprintf(w, "sealed %d signals (%s recipient) in %.1fs; 70%% card reads, 20%% submissions, 10%% dossier lists\n",
		len(e.t.envs), o.Recipient, time.Since(t0).Seconds())
	f.warm = run(ctx, "warm-up", load{Concurrency: 8, Requests: soakWarm, Duration: 30 * time.Second}, s.op(0))
	f.warm.print(w)

	every := rssInterval(o.Duration)
	pid := e.broker.cmd.Process.Pid
	stop := sampleRSS(pid, every)
	f.run = run(ctx, "soak", o.load(), s.op(soakWarm))
	samples := stop()
	f.run.RSSKB, f.run.HWMKB = rss(pid)
	f.run.print(w)
	fmt.Fprintf(w, "requests by status: %s (warm-up: %s)\n", statusList(f.run.Statuses), statusList(f.warm.Statuses))

	acks, bad := s.receipts()
	f.acks, f.badReceipts = len(acks), bad
	t0 = time.Now()
	if err := e.t.refsFromIntake(ctx, acks); err != nil {
		return f, err
	}
	f.rb = e.t.readBack(ctx, acks, o.Concurrency)
	fmt.Fprintf(w, "read back %d acknowledged writes of %d persons in %.1fs: %d lost (%d cards not readable)\n",
		len(acks), f.rb.persons, time.Since(t0).Seconds(), f.rb.lost, f.rb.unreadable)
	t0 = time.Now()
	f.av = e.t.auditVerify(ctx)
	fmt.Fprintf(w, "audit verify in %.1fs: %s\n", time.Since(t0).Seconds(), f.av)
	f.mem = rssGrowth(samples, o.Duration)
	fmt.Fprintf(w, "broker RSS sampled every %v (%d samples): %s; peak %.1f MB\n", every, len(samples), f.mem, float64(f.run.HWMKB)/1024)
	return f, nil
}

// criteria are the soak's pass-or-fail lines, each failing closed: a
// criterion that measured nothing fails.
func (f soakFindings) criteria() []criterion {
	// Every answered request of the warm-up, the run and the read-back is
	// in the audit log.
	answered := len(f.warm.Lat) + len(f.run.Lat) + f.rb.persons - f.rb.unreadable
	errs := nonOK(f.warm.Statuses) + nonOK(f.run.Statuses) + f.badReceipts
	unanswered := f.run.Unsent + f.run.CutOff + f.warm.Unsent + f.warm.CutOff
	return []criterion{
		{errs == 0 && len(f.run.Lat) > 0, fmt.Sprintf("zero errors: %d answers not 2xx or without a receipt (of %d, warm-up included)", errs, len(f.warm.Lat)+len(f.run.Lat))},
		{unanswered == 0, fmt.Sprintf("every due request sent and answered: %d unsent, %d cut off at the deadline", f.run.Unsent+f.warm.Unsent, f.run.CutOff+f.warm.CutOff)},
		{f.acks > 0 && f.rb.lost == 0, fmt.Sprintf("zero lost writes: %d of %d acknowledged writes not on their person's card", f.rb.lost, f.acks)},
		{f.av.ok(answered), fmt.Sprintf("audit log verifies and holds every request: %s; %d requests answered", f.av, answered)},
		{f.mem.ok(), fmt.Sprintf("memory growth <= %.0f%%: %s", maxRSSGrowth*100, f.mem)},
	}
}

// soakEnvelopes is how many sealed signals requests [0, n) of soakRun.op
// submit: two in every ten, each its own person.
func soakEnvelopes(n int) int { return 2*(n/10) + 2 }

// criterion is one pass-or-fail line of a verdict.
type criterion struct {
	ok   bool
	what string
}

// judge prints every criterion and the verdict, and returns an error
// naming how many failed.
func judge(w io.Writer, name string, crit []criterion) error {
	fmt.Fprintln(w, "criteria:")
	failed := 0
	for _, c := range crit {
		word := "PASS"
		if !c.ok {
			word = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "  [%s] %s\n", word, c.what)
	}
	if failed > 0 {
		fmt.Fprintf(w, "%s: FAIL\n", name)
		return fmt.Errorf("%s: %d of %d criteria failed", name, failed, len(crit))
	}
	fmt.Fprintf(w, "%s: PASS\n", name)
	return nil
}

// nonOK counts the answers that are not 2xx, transport errors included.
func nonOK(statuses map[int]int) int {
	n := 0
	for code, k := range statuses {
		if code < 200 || code >= 300 {
			n += k
		}
	}
	return n
}
