// Command livc-load drives a real livc-broker over HTTP on the loopback
// interface, with real signed tokens and real age envelopes, against a real
// Redis, and prints throughput, latency percentiles, answers by status and
// the broker's memory.
//
// By default it starts everything itself in a temporary folder: a
// redis-server on a spare port, the broker binary (-broker, built by `make
// load`) with keys and a token issuer of its own, and, for -scenario
// compare, OPA's own server built from the Go module cache. It stops them
// and itself when the run is over; every run is bounded by -requests and
// -duration.
//
// Scenarios:
//
//	card      police officers read the cards of seeded persons (8 records each)
//	submit    social workers submit signals, each about a new person
//	cases     police officers list their dossiers (GET /v1/cases)
//	mixed     70% card, 20% submit, 10% cases
//	compare   the side-by-side run of BENCHMARKS.md: OPA server decisions vs
//	          card reads, p99 at half the card rate, bare age decryption vs
//	          submissions; each pair in -rounds rounds taken in turn
//	scale     card reads with 1,000 then 1,000,000 stored records, and the
//	          broker's RSS with 125,000 persons and 64 concurrent clients
//	soak      the mixed workload in open loop at a steady -rate (default 200/s)
//	          for -d (default 5m), the broker's RSS sampled throughout; then
//	          every acknowledged submission read back and the audit log
//	          verified; PASS or FAIL per criterion, exit status 1 on a FAIL
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// options are the command-line settings.
type options struct {
	Scenario    string
	Broker      string
	URL         string
	RedisURL    string
	KeysDir     string
	TokensDir   string
	Concurrency int
	Rate        float64
	Requests    int
	Duration    time.Duration
	Persons     int
	BigPersons  int
	Envelopes   int
	Recipient   string
	Pprof       bool
	Out         string
	OPA         string
	Rego        string
	Keep        bool
	Rounds      int
}

func main() {
	var o options
	flag.StringVar(&o.Scenario, "scenario", "compare", "card, submit, cases, mixed, compare, scale or soak")
	flag.StringVar(&o.Broker, "broker", "bin/livc-broker", "the livc-broker binary to start")
	flag.StringVar(&o.URL, "url", "", "drive a broker already running at this loopback URL instead (needs -redis-url, -keys and -tokens)")
	flag.StringVar(&o.RedisURL, "redis-url", "", "Redis of the broker; default a redis-server the tool starts on a spare port")
	flag.StringVar(&o.KeysDir, "keys", "", "with -url: the broker's --keys folder, to seed persons it can read")
	flag.StringVar(&o.TokensDir, "tokens", "", "with -url: a folder of <actor>.jwt tokens (livcctl dev) for pz and ocmw")
	flag.IntVar(&o.Concurrency, "c", 16, "closed loop: concurrent clients")
	flag.Float64Var(&o.Rate, "rate", 0, "open loop: requests per second (0: closed loop at -c; soak default 200)")
	flag.IntVar(&o.Requests, "n", 1_000_000, "at most this many requests per measured run")
	flag.DurationVar(&o.Duration, "d", 10*time.Second, "at most this long per measured run (soak default 5m)")
	flag.IntVar(&o.Persons, "persons", 125, "persons seeded before the run, 8 records each")
	flag.IntVar(&o.BigPersons, "big-persons", 125_000, "scale: persons stored for the large case, 8 records each")
	flag.IntVar(&o.Envelopes, "envelopes", 20_000, "submit and compare: signals sealed before the run, each sent once (a submission run stops at the last; a repeat would be answered 200 without a write)")
	flag.StringVar(&o.Recipient, "recipient", "hybrid", "submit: seal to the broker's hybrid (post-quantum, livcctl's default) or x25519 recipient")
	flag.BoolVar(&o.Pprof, "pprof", false, "start the broker with --pprof and save a CPU profile of each measured broker run in -out")
	flag.StringVar(&o.Out, "out", "", "folder for logs and profiles; default a temporary one, removed unless -pprof or -keep")
	flag.StringVar(&o.OPA, "opa", "", "compare: an opa binary; default built with the go toolchain (module cache, then GOPROXY) at "+opaVersion)
	flag.StringVar(&o.Rego, "rego", "policies/decision.rego", "compare: the decision policy given to OPA's server")
	flag.BoolVar(&o.Keep, "keep", false, "keep the -out folder")
	flag.IntVar(&o.Rounds, "rounds", 3, "compare: rounds of each pair of measured runs, taken in turn (OPA, broker, OPA, broker…) so that a machine whose speed drifts weighs on both sides alike")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.soakDefaults(set)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runMain(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "livc-load:", err)
		os.Exit(1)
	}
}

func runMain(ctx context.Context, o options, w io.Writer) error {
	if o.Concurrency < 1 || o.Requests < 1 || o.Duration <= 0 || o.Persons < 1 {
		return errors.New("-c, -n, -d and -persons must be positive")
	}
	if o.Scenario == "compare" && o.Rounds < 1 {
		return errors.New("-rounds must be positive")
	}
	if o.Recipient != "hybrid" && o.Recipient != "x25519" {
		return errors.New("-recipient must be hybrid or x25519")
	}
	if o.Scenario == "soak" && o.URL != "" {
		return errors.New("soak starts a broker of its own, to sample its memory: -url is refused")
	}
	dir := o.Out
	if dir == "" {
		d, err := os.MkdirTemp("", "livc-load-")
		if err != nil {
			return err
		}
		dir = d
		if !o.Pprof && !o.Keep {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env, err := setUp(ctx, o, dir, w)
	if err != nil {
		return err
	}
	defer env.close()
	switch o.Scenario {
	case "card", "submit", "cases", "mixed":
		return env.single(ctx, o, w)
	case "compare":
		return env.compare(ctx, o, w)
	case "scale":
		return env.scale(ctx, o, w)
	case "soak":
		return env.soak(ctx, o, w)
	}
	return fmt.Errorf("unknown -scenario %q", o.Scenario)
}
