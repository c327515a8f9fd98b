package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/livc/livc-broker/internal/ratelimit"
)

// limitsConf is what bounds the server's work per connection and per
// principal. Each setting has a flag and an environment variable.
type limitsConf struct {
	ReadHeaderTimeout time.Duration // a client must send its headers within this
	ReadTimeout       time.Duration // ... and its whole request within this
	WriteTimeout      time.Duration // an answer must be written within this
	IdleTimeout       time.Duration // a kept-alive connection is closed after this
	ShutdownTimeout   time.Duration // SIGTERM waits this long for requests in flight
	MaxHeaderBytes    int           // larger request headers: 431, not audited
	RateLimit         ratelimit.Limit
	AuthFailures      ratelimit.AuthFailLimit // authflags.go
	TrustedProxies    []string
}

// limitFlag is one duration setting: flag name, env, default, where to put it.
type limitFlag struct {
	name, env, def, usage string
	dst                   *time.Duration
	raw                   *string
}

// flags registers the limits' flags on fs and returns a function that
// parses and validates them once fs is parsed.
func (l *limitsConf) flags(fs *flag.FlagSet) func() error {
	durations := []limitFlag{
		{name: "read-header-timeout", env: "LIVC_READ_HEADER_TIMEOUT", def: "5s", dst: &l.ReadHeaderTimeout, usage: "a client must send its request headers within this `DURATION`, or is cut off (slowloris)"},
		{name: "read-timeout", env: "LIVC_READ_TIMEOUT", def: "30s", dst: &l.ReadTimeout, usage: "a client must send its whole request within this `DURATION`"},
		{name: "write-timeout", env: "LIVC_WRITE_TIMEOUT", def: "30s", dst: &l.WriteTimeout, usage: "an answer must be written within this `DURATION`"},
		{name: "idle-timeout", env: "LIVC_IDLE_TIMEOUT", def: "120s", dst: &l.IdleTimeout, usage: "an idle kept-alive connection is closed after this `DURATION`"},
		{name: "shutdown-timeout", env: "LIVC_SHUTDOWN_TIMEOUT", def: "15s", dst: &l.ShutdownTimeout, usage: "on SIGTERM, wait this `DURATION` for requests in flight to finish"},
	}
	for i := range durations {
		d := &durations[i]
		d.raw = new(string)
		fs.StringVar(d.raw, d.name, envOr(d.env, d.def), d.usage+" (env "+d.env+")")
	}
	maxHeader := fs.String("max-header-bytes", envOr("LIVC_MAX_HEADER_BYTES", "32768"), "largest request headers in `BYTES`; larger is 431 (env LIVC_MAX_HEADER_BYTES)")
	rate := fs.String("rate-limit", envOr("LIVC_RATE_LIMIT", "100"), "requests per second each principal (a person of an actor) may make on average; more is 429 with Retry-After; 0 turns the limit off (env LIVC_RATE_LIMIT)")
	burst := fs.String("rate-burst", envOr("LIVC_RATE_BURST", "200"), "requests a principal may make at once before --rate-limit applies (env LIVC_RATE_BURST)")
	actorRate := fs.String("actor-rate-limit", envOr("LIVC_ACTOR_RATE_LIMIT", "1000"), "requests per second all the people of one actor of a cell may make together on average, besides each person's --rate-limit; more is 429 with Retry-After; 0 turns the limit off (env LIVC_ACTOR_RATE_LIMIT)")
	actorBurst := fs.String("actor-rate-burst", envOr("LIVC_ACTOR_RATE_BURST", "2000"), "requests the people of an actor may make at once before --actor-rate-limit applies (env LIVC_ACTOR_RATE_BURST)")
	authFail := l.authFailFlags(fs)
	return func() error {
		for _, d := range durations {
			v, err := time.ParseDuration(*d.raw)
			if err != nil || v < 100*time.Millisecond || v > time.Hour {
				return fmt.Errorf("--%s must be a duration from 100ms to 1h, got %q", d.name, *d.raw)
			}
			*d.dst = v
		}
		n, err := strconv.Atoi(*maxHeader)
		if err != nil || n < 4096 || n > 1<<20 {
			return fmt.Errorf("--max-header-bytes must be a number of bytes from 4096 to 1048576, got %q", *maxHeader)
		}
		l.MaxHeaderBytes = n
		r, b, err := parseRate("rate", *rate, *burst)
		if err != nil {
			return err
		}
		ar, ab, err := parseRate("actor-rate", *actorRate, *actorBurst)
		if err != nil {
			return err
		}
		l.RateLimit = ratelimit.Limit{PerSecond: r, Burst: b, ActorPerSecond: ar, ActorBurst: ab}
		return authFail()
	}
}

// parseRate reads the --NAME-limit and --NAME-burst pair of one bucket and
// validates it.
func parseRate(name, rate, burst string) (float64, int, error) {
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("--%s-limit must be a number of requests per second, got %q", name, rate)
	}
	b, err := strconv.Atoi(burst)
	if err != nil {
		return 0, 0, fmt.Errorf("--%s-burst must be a whole number, got %q", name, burst)
	}
	if err := (ratelimit.Limit{PerSecond: r, Burst: b}).Validate(); err != nil {
		return 0, 0, fmt.Errorf("--%s-limit: %w", name, err)
	}
	return r, b, nil
}
