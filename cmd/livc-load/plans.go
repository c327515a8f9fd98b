package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/livc/livc-broker/broker"
)

// compare is the side-by-side run: OPA's server deciding, the broker's full
// card read at the same concurrency, card reads at half that rate (open
// loop) for the p99, bare age decryption on every core and the broker's full
// submission. Each pair is measured in o.Rounds rounds taken in turn, and
// compared over all of them; the p99 at half the rate is over o.Rounds
// runs. It prints every figure, then the targets met or missed.
func (e *env) compare(ctx context.Context, o options, w io.Writer) error {
	header(w, "compare")
	opa, decide, err := e.opaServer(ctx, o, w)
	if err != nil {
		return err
	}
	defer opa.stop()
	cl := o.load()
	cl.Rate = 0
	e.warm(ctx, decide)
	e.warm(ctx, e.t.card)
	rOPA, rCard := e.cardVsOPA(ctx, o, w, cl, opa, decide)

	half := cl
	half.Rate = rCard.RPS() / 2
	var halfRuns []result
	for round := 1; round <= o.Rounds; round++ {
		r := e.measure(ctx, o, fmt.Sprintf("broker card read at half %d", round), half, e.t.card)
		r.print(w)
		halfRuns = append(halfRuns, r)
	}
	rHalf := merge("broker card read at half", halfRuns) // its p99 over every round's answers
	rHalf.print(w)

	bare, rSub, err := e.submissionVsAge(ctx, o, w, cl)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "targets:")
	ratio := rCard.RPS() / rOPA.RPS()
	verdict(w, ratio >= 1.5, "card read %.0f/s vs OPA server %.0f decisions/s at %d clients: %.2fx (target >= 1.5x)",
		rCard.RPS(), rOPA.RPS(), cl.Concurrency, ratio)
	share := rSub.RPS() / bare
	verdict(w, share >= 0.4, "submission %.0f/s vs bare age decrypt %.0f/s: %.0f%% (target >= 40%%)", rSub.RPS(), bare, share*100)
	p99 := rHalf.Pct(99)
	verdict(w, p99 < 10*time.Millisecond && rHalf.OK > 0, "card read p99 at %.0f req/s (half of max): %s (target < 10ms)", half.Rate, ms(p99))
	return nil
}

// opaServer starts OPA's server (built with the go toolchain unless
// o.OPA names a binary) on the cell's policy, and returns it with the
// operation asking it the card read's decision.
func (e *env) opaServer(ctx context.Context, o options, w io.Writer) (*opaServer, op, error) {
	opaBin := o.OPA
	if opaBin == "" {
		t0 := time.Now()
		b, err := buildOPA(e.dir)
		if err != nil {
			return nil, nil, err
		}
		opaBin = b
		fmt.Fprintf(w, "built OPA %s with the go toolchain in %.1fs\n", opaVersion, time.Since(t0).Seconds())
	}
	opa, err := startOPA(e.dir, opaBin, o.Rego, map[string]*broker.Cell{e.cell.ID: e.cell})
	if err != nil {
		return nil, nil, err
	}
	decide, err := opaDecide(ctx, e.t.client, opa.url, cardDecisionInput(e.cell))
	if err != nil {
		opa.stop()
		return nil, nil, err
	}
	return opa, decide, nil
}

// cardVsOPA measures OPA's decisions and the broker's card reads at the
// load cl, in rounds taken in turn, and returns each merged.
func (e *env) cardVsOPA(ctx context.Context, o options, w io.Writer, cl load, opa *opaServer, decide op) (rOPA, rCard result) {
	var opaRuns, cardRuns []result
	for round := 1; round <= o.Rounds; round++ {
		meter := newCPUMeter(map[string]int{"server": opa.cmd.Process.Pid, "tool": os.Getpid()})
		r := run(ctx, fmt.Sprintf("opa server decision %d", round), cl, decide)
		r.CPU = meter.stop()
		r.RSSKB, r.HWMKB = rss(opa.cmd.Process.Pid)
		r.print(w)
		opaRuns = append(opaRuns, r)
		r = e.measure(ctx, o, fmt.Sprintf("broker card read %d", round), cl, e.t.card)
		r.print(w)
		cardRuns = append(cardRuns, r)
	}
	rOPA, rCard = merge("opa server decision", opaRuns), merge("broker card read", cardRuns)
	rOPA.print(w)
	rCard.print(w)
	return rOPA, rCard
}

// submissionVsAge measures bare age decryption on every core and the
// broker's submissions, in rounds taken in turn, and returns the mean of
// the first (envelopes/s) and the merge of the second.
func (e *env) submissionVsAge(ctx context.Context, o options, w io.Writer, cl load) (float64, result, error) {
	if err := e.sealFor(o, o.Envelopes); err != nil {
		return 0, result{}, err
	}
	e.warm(ctx, e.t.submit)
	// Each envelope is sent once: one sent again is its submitter's repeat,
	// answered without a write, and would flatter the figure. Each round
	// gets its share of the envelopes the warm-up left.
	sub := cl
	sub.Requests = min(sub.Requests, max(1, (len(e.t.envs)-int(e.t.sent.Load()))/o.Rounds))
	var bares []float64
	var subRuns []result
	for round := 1; round <= o.Rounds; round++ {
		bare, err := bareDecrypt(e.t.envs[0], e.kr.Identities(), o.Duration)
		if err != nil {
			return 0, result{}, err
		}
		fmt.Fprintf(w, "%-28s %s recipient, %d cores, %.1fs: %.0f envelopes/s\n", fmt.Sprintf("bare age decrypt %d", round), o.Recipient, cores(), o.Duration.Seconds(), bare)
		bares = append(bares, bare)
		r := e.measure(ctx, o, fmt.Sprintf("broker submission %d", round), sub, e.t.submit)
		r.print(w)
		subRuns = append(subRuns, r)
	}
	bare := mean(bares)
	fmt.Fprintf(w, "%-28s %s recipient, %d cores, %d rounds: %.0f envelopes/s\n", "bare age decrypt", o.Recipient, cores(), len(bares), bare)
	rSub := merge("broker submission", subRuns)
	rSub.print(w)
	return bare, rSub, nil
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// scale measures card reads with 1,000 stored records (o.Persons must be
// 125), then seeds up to o.BigPersons persons (1,000,000 records at the
// default 125,000) through the store adapter and measures again, then
// reads at 64 concurrent clients and reports the broker's RSS.
func (e *env) scale(ctx context.Context, o options, w io.Writer) error {
	header(w, "scale")
	cl := o.load()
	cl.Rate = 0
	e.warm(ctx, e.t.card)
	small := e.measure(ctx, o, fmt.Sprintf("card, %d records", len(e.seeder.refs)*recordsPerPerson), cl, e.t.card)
	small.print(w)

	from := len(e.seeder.refs)
	took, err := e.seeder.seed(ctx, from, o.BigPersons, 32)
	if err != nil {
		return err
	}
	e.t.refs = e.seeder.refs
	fmt.Fprintf(w, "seeded %d more persons through the store adapter in %.1fs: %d persons, %d records stored\n",
		o.BigPersons-from, took.Seconds(), len(e.t.refs), len(e.t.refs)*recordsPerPerson)
	e.warm(ctx, e.t.card)
	big := e.measure(ctx, o, fmt.Sprintf("card, %d records", len(e.t.refs)*recordsPerPerson), cl, e.t.card)
	big.print(w)

	c64 := cl
	c64.Concurrency = 64
	r64 := e.measure(ctx, o, "card, 64 clients", c64, e.t.card)
	r64.print(w)

	fmt.Fprintln(w, "targets:")
	drop := 1 - big.RPS()/small.RPS()
	verdict(w, drop <= 0.25 && drop >= -0.25, "card read %.0f/s at %d records vs %.0f/s at %d records: %+.0f%% (target within 25%%)",
		big.RPS(), len(e.t.refs)*recordsPerPerson, small.RPS(), from*recordsPerPerson, -drop*100)
	if e.broker != nil {
		verdict(w, r64.HWMKB > 0 && r64.HWMKB < 200*1024, "broker peak RSS %.1f MB (now %.1f MB) with %d persons stored and 64 clients (target < 200 MB)",
			float64(r64.HWMKB)/1024, float64(r64.RSSKB)/1024, len(e.t.refs))
	}
	return nil
}

func cores() int { return numCPU() }
