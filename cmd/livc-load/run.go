package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/loopback"
	"github.com/livc/livc-broker/internal/redis/conn"
	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/keys"
)

// env is everything a run needs, and what to stop afterwards.
type env struct {
	dir    string
	cell   *broker.Cell
	kr     *keys.Keyring
	redis  *proc
	broker *brokerProc // nil with -url
	seeder *seeder
	t      *target
	stops  []func()
}

func (e *env) close() {
	for i := len(e.stops) - 1; i >= 0; i-- {
		e.stops[i]()
	}
}

// setUp starts (or reaches) Redis and the broker, seeds o.Persons persons
// and prepares the tokens. It prints where things are.
func setUp(ctx context.Context, o options, dir string, w io.Writer) (*env, error) {
	e := &env{dir: dir, cell: config.Demo()}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	redisURL, err := e.reachRedis(o)
	if err != nil {
		return nil, err
	}
	keysDir, err := e.loadKeyring(o)
	if err != nil {
		return nil, err
	}
	client, err := conn.Open(redisURL)
	if err != nil {
		return nil, err
	}
	e.stops = append(e.stops, func() { client.Close() })
	e.seeder = &seeder{store: store.New(client), kr: e.kr, livc: e.cell.ID}

	t := &target{client: newClient(max(o.Concurrency, 64) * 2), url: o.URL}
	if o.URL == "" {
		err = e.runBroker(o, t, redisURL, keysDir)
	} else {
		err = readTokens(o, t)
	}
	if err != nil {
		return nil, err
	}
	e.t = t
	took, err := e.seeder.seed(ctx, 0, o.Persons, 16)
	if err != nil {
		return nil, err
	}
	t.refs = e.seeder.refs
	fmt.Fprintf(w, "broker %s, redis %s, seeded %d persons (%d records) through the store adapter in %.1fs\n",
		t.url, redisURL, o.Persons, o.Persons*recordsPerPerson, took.Seconds())
	ok = true
	return e, nil
}

// reachRedis returns the URL of o.RedisURL, or starts a Redis of its own.
func (e *env) reachRedis(o options) (string, error) {
	if o.RedisURL != "" {
		return o.RedisURL, nil
	}
	p, addr, err := startRedis(e.dir)
	if err != nil {
		return "", err
	}
	e.redis = p
	e.stops = append(e.stops, p.stop)
	return "redis://" + addr + "/0", nil
}

// loadKeyring creates a keyring for the broker it will start, or loads
// that of the broker at -url, and returns its directory.
func (e *env) loadKeyring(o options) (string, error) {
	var err error
	if o.URL == "" {
		keysDir := filepath.Join(e.dir, "keys")
		e.kr, err = keys.Create(keysDir)
		return keysDir, err
	}
	if o.KeysDir == "" || o.TokensDir == "" || o.RedisURL == "" {
		return "", errors.New("-url needs -redis-url, -keys and -tokens")
	}
	if err := loopbackURL(o.URL); err != nil {
		return "", err
	}
	e.kr, err = keys.Load(o.KeysDir)
	return o.KeysDir, err
}

// runBroker starts the broker for t, with a token issuer of its own, and
// issues t's tokens.
func (e *env) runBroker(o options, t *target, redisURL, keysDir string) error {
	iss, err := newIssuer(e.dir)
	if err != nil {
		return err
	}
	b, err := startBroker(e.dir, o.Broker, redisURL, keysDir, iss.jwks, o.Pprof)
	if err != nil {
		return err
	}
	e.broker, t.url = b, b.URL
	e.stops = append(e.stops, b.stop)
	// Tokens outlive the longest run: an expired token mid-soak would be
	// an error of the tool, not of the broker.
	ttl := max(2*time.Hour, o.Duration+time.Hour)
	for _, a := range []struct {
		actor string
		n     int
		dst   *[]string
	}{{"pz", 64, &t.pz}, {"ocmw", 64, &t.ocmw}, {"dpo", 1, &t.dpo}, {"preventie", 1, &t.coord}} {
		if *a.dst, err = iss.tokens(e.cell.ID, a.actor, a.n, ttl); err != nil {
			return err
		}
	}
	return nil
}

// readTokens reads the tokens of the broker at -url from o.TokensDir.
func readTokens(o options, t *target) error {
	for _, a := range []struct {
		name string
		dst  *[]string
	}{{"pz", &t.pz}, {"ocmw", &t.ocmw}} {
		b, err := os.ReadFile(filepath.Join(o.TokensDir, a.name+".jwt"))
		if err != nil {
			return err
		}
		*a.dst = []string{strings.TrimSpace(string(b))}
	}
	return nil
}

// sealFor seals n signals to the broker's recipient of o.Recipient, read
// from GET /v1/keys.
func (e *env) sealFor(o options, n int) error {
	resp, err := e.t.client.Get(e.t.url + "/v1/keys")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var k broker.PublicKeys
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil {
		return err
	}
	for _, r := range k.Recipients {
		if strings.HasPrefix(r, "age1pq1") == (o.Recipient == "hybrid") {
			e.t.envs, err = sealSignals(r, n)
			return err
		}
	}
	return fmt.Errorf("the broker publishes no %s recipient", o.Recipient)
}

// measure runs o against the broker, with a CPU profile when asked, and
// notes the broker's RSS at the end.
func (e *env) measure(ctx context.Context, o options, name string, l load, f op) result {
	var prof chan error
	if o.Pprof && e.broker != nil && e.broker.Pprof != "" {
		prof = make(chan error, 2)
		secs := max(int(l.Duration.Seconds())-1, 1)
		go func() { prof <- e.saveProfile(e.broker.Pprof, "profile", secs, name) }()
		go func() { prof <- e.saveProfile(e.broker.Pprof, "block", secs, name) }()
	}
	pids := map[string]int{"tool": os.Getpid()}
	if e.broker != nil {
		pids["server"] = e.broker.cmd.Process.Pid
	}
	if e.redis != nil {
		pids["redis"] = e.redis.cmd.Process.Pid
	}
	meter := newCPUMeter(pids)
	r := run(ctx, name, l, f)
	r.CPU = meter.stop()
	for range cap(prof) {
		if err := <-prof; err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}
	if e.broker != nil {
		r.RSSKB, r.HWMKB = rss(e.broker.cmd.Process.Pid)
	}
	return r
}

// saveProfile fetches a profile of kind (profile: CPU; block: time spent
// waiting) over secs seconds into the -out folder.
func (e *env) saveProfile(base, kind string, secs int, name string) error {
	resp, err := http.Get(fmt.Sprintf("%s%s?seconds=%d", base, kind, secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s profile: %s", kind, resp.Status)
	}
	path := filepath.Join(e.dir, strings.ReplaceAll(name, " ", "-")+"."+kind+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s profile of %q: %s (go tool pprof -top bin/livc-broker %s)\n", kind, name, path, path)
	return nil
}

func (o options) load() load {
	return load{Concurrency: o.Concurrency, Rate: o.Rate, Requests: o.Requests, Duration: o.Duration, MaxInFlight: 1024}
}

// warm sends a few hundred requests so that connections, caches and the
// Go runtime are in their steady state before a measured run.
func (e *env) warm(ctx context.Context, f op) {
	run(ctx, "warm-up", load{Concurrency: 8, Requests: 400, Duration: 5 * time.Second}, f)
}

// single runs one scenario as the flags say.
func (e *env) single(ctx context.Context, o options, w io.Writer) error {
	ops := map[string]op{"card": e.t.card, "submit": e.t.submit, "cases": e.t.cases, "mixed": e.t.mixed}
	if o.Scenario == "submit" || o.Scenario == "mixed" {
		if err := e.sealFor(o, o.Envelopes); err != nil {
			return err
		}
	}
	f := ops[o.Scenario]
	e.warm(ctx, f)
	l := o.load()
	if o.Scenario == "submit" { // each envelope once (see compare)
		l.Requests = min(l.Requests, max(1, len(e.t.envs)-int(e.t.sent.Load())))
	}
	e.measure(ctx, o, o.Scenario, l, f).print(w)
	return nil
}

// verdict prints one target, met or missed, with its figure.
func verdict(w io.Writer, met bool, format string, args ...any) {
	word := "MISSED"
	if met {
		word = "met"
	}
	fmt.Fprintf(w, "  [%s] %s\n", word, fmt.Sprintf(format, args...))
}

// loopbackURL refuses a broker URL that is not on the loopback interface:
// the tool generates load, and is not to be pointed at someone's server.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-url %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if !loopback.Host(host) {
		return fmt.Errorf("-url must be on the loopback interface, got %q", host)
	}
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func header(w io.Writer, what string) {
	fmt.Fprintf(w, "== %s (GOMAXPROCS %d, load average %s)\n", what, runtime.GOMAXPROCS(0), loadAvg())
}
