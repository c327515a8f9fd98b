package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/auditout"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/envelope"
	"github.com/livc/livc-broker/internal/httpapi"
	"github.com/livc/livc-broker/internal/metrics"
	"github.com/livc/livc-broker/internal/policy"
	"github.com/livc/livc-broker/internal/ratelimit"
	"github.com/livc/livc-broker/internal/redis/conn"
	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/internal/token"
	"github.com/livc/livc-broker/internal/web"
	"github.com/livc/livc-broker/keys"
)

// serve wires the adapters to the pipeline and serves until ctx ends.
func serve(ctx context.Context, c serveConf, stderr io.Writer) error {
	log := newLogger(c.LogFormat, c.LogLevel, stderr)
	cells, err := loadCells(c, log)
	if err != nil {
		return err
	}
	kr, err := loadKeys(c, log)
	if err != nil {
		return err
	}
	auth, err := loadVerifier(ctx, c, cells, log)
	if err != nil {
		return err
	}
	client, closeRedis, err := openRedis(c, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	audit, wit, logKey, err := openAudit(ctx, c, client, kr, cells, log)
	if err != nil {
		return err
	}
	st := store.New(client)
	go (&maintainer{kr: kr, st: st, audit: audit, cells: slices.Sorted(maps.Keys(cells)), every: c.KeyCheck, log: log}).run(ctx)
	engine, err := policy.New(ctx, cells, policy.Conf{})
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	now, err := clockFor(ctx, c, log)
	if err != nil {
		return err
	}
	m := metrics.New()
	m.SetRevision(engine.Revision())
	svc, err := newService(c, cells, kr, auth, st, audit, engine, m, now, log)
	if err != nil {
		return err
	}
	stopBackground, err := runBackground(ctx, c, svc, audit, cells, m, log)
	if err != nil {
		return err
	}
	defer stopBackground() // the last refused-login counts written before exit
	wit.start(ctx, audit, logKey, svc, m, log)
	if err := tune(ctx, c, log); err != nil {
		return err
	}
	go reloadOnHUP(ctx, c, svc, engine, auth, m, log)
	hc := httpapi.Conf{MaxBody: c.MaxBody, Logger: log, Observe: m.ObserveRequest, TrustedProxies: c.Limits.TrustedProxies}
	stopAdmin, err := serveMetrics(c, &hc, m, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	pages, err := newWeb(c, svc, client, log, m.ObserveRequest)
	if err != nil {
		return err
	}
	return listenAndServe(ctx, c, pages.Handler(httpapi.New(svc, hc)), log)
}

// runBackground starts the service's own work: the audit outputs (sinks,
// alerts), the summaries of refused logins and, when --retention-every is
// set, the retention schedule. The returned stop ends the outputs and the
// summaries and waits for their last write; the retention schedule ends
// with ctx.
func runBackground(ctx context.Context, c serveConf, svc *broker.Service, feed auditout.Feed,
	cells map[string]*broker.Cell, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	stopOutputs, err := startOutputs(ctx, c.Outputs, feed, cells, m, log)
	if err != nil {
		return nil, fmt.Errorf("audit outputs: %w", err)
	}
	summaries, stopSummaries := context.WithCancel(ctx)
	summariesDone := make(chan struct{})
	go func() { svc.RunAuthFailSummaries(summaries); close(summariesDone) }()
	if c.Retention.Every > 0 {
		go svc.RunRetention(ctx, c.Retention.Every)
	}
	return func() { stopSummaries(); <-summariesDone; stopOutputs() }, nil
}

// tune sets the collector's target and, with --pprof, serves the profiler.
func tune(ctx context.Context, c serveConf, log *slog.Logger) error {
	setGCPercent(c.GCPercent, log)
	if c.Pprof == "" {
		return nil
	}
	return startPprof(ctx, c.Pprof, log)
}

// auditLog is what the pipeline needs of the audit log: appends and proofs.
type auditLog interface {
	broker.Auditor
	broker.AuditProver
}

// newService is the broker pipeline over the adapters serve made.
func newService(c serveConf, cells map[string]*broker.Cell, kr *keys.Keyring, auth *token.Verifier, st broker.Store,
	audit auditLog, engine *policy.Engine, m *metrics.Metrics, now func() time.Time, log *slog.Logger) (*broker.Service, error) {
	return broker.New(broker.Conf{
		Cells:      cells,
		Auth:       web.Authenticator(auth), // the web pages' sessions, else bearer tokens
		Envelopes:  keyringOpener{kr},
		Pseudonyms: kr,
		Sealer:     kr,
		Store:      st,
		Audit:      m.Auditor(audit),
		Prover:     audit,
		Policy:     m.Decider(engine.Current()),
		Encrypter:  ageEncrypter{},
		Keys:       broker.PublicKeys{Recipients: kr.Recipients(), CheckpointKey: kr.CheckpointVerifierKey()},
		PublicKeysFunc: func() broker.PublicKeys {
			return broker.PublicKeys{Recipients: kr.Recipients(), CheckpointKey: kr.CheckpointVerifierKey()}
		},
		MaxPlaintext:     c.MaxBody,
		RateLimiter:      ratelimit.New(c.Limits.RateLimit), // nil when off: allows all
		LookupLimiter:    ratelimit.New(ratelimit.Lookups),
		AuthFails:        ratelimit.NewAuthFails(c.Limits.AuthFailures, time.Now()),
		CountAuthFailure: m.CountAuthFailure,
		Now:              now,
		Logger:           log,
	})
}

// serveMetrics serves /metrics where --admin-listen says: nowhere, on the
// main listener (through hc), or on a listener of its own, which the
// returned stop closes.
func serveMetrics(c serveConf, hc *httpapi.Conf, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	switch c.AdminListen {
	case AdminOff:
		log.Info("--admin-listen off: no metrics are served")
	case AdminMain:
		log.Warn("[INSECURE] --admin-listen main: /metrics on the main listener; anyone who reaches the API reads the broker's counts (erasures, reloads, refusals)")
		hc.Metrics = m.Handler()
	default:
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		return serveAdmin(c, mux, log)
	}
	return func() {}, nil
}

func loadCells(c serveConf, log *slog.Logger) (map[string]*broker.Cell, error) {
	if len(c.Configs) == 0 {
		demo := config.Demo()
		log.Warn("[INSECURE] no --config given: serving the embedded demo cell", "livc", demo.ID)
		return map[string]*broker.Cell{demo.ID: demo}, nil
	}
	cells, warnings, err := config.LoadAll(c.Configs)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	for _, w := range warnings {
		log.Warn("configuration", "warning", w)
	}
	return cells, nil
}

// witnessDir is where the audit witness file lives: the key directory
// loadKeys uses; "" (no witness) on the embedded store, whose logs a restart
// empties by design.
func witnessDir(c serveConf) string {
	switch {
	case c.RedisURL == "":
		return ""
	case c.KeysDir != "":
		return c.KeysDir
	}
	return filepath.Join(c.DataDir, "keys")
}

func loadKeys(c serveConf, log *slog.Logger) (*keys.Keyring, error) {
	if c.KeysDir != "" {
		if noKeysYet(c.KeysDir) {
			return nil, fmt.Errorf("keys: %s holds no keys yet: run `livc-broker keys init --keys %s` to create them", c.KeysDir, c.KeysDir)
		}
		kr, err := keys.LoadWith(keys.Conf{Dir: c.KeysDir, EpochPeriod: c.EpochPeriod})
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return kr, nil
	}
	dir := filepath.Join(c.DataDir, "keys")
	kr, created, err := keys.LoadOrCreateWith(keys.Conf{Dir: dir, EpochPeriod: c.EpochPeriod})
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if created {
		log.Warn("[INSECURE] no --keys given: created new broker keys; back them up, or every record becomes unreadable", "dir", dir)
	} else {
		log.Warn("[INSECURE] no --keys given: using the development keys", "dir", dir)
	}
	return kr, nil
}

func loadVerifier(ctx context.Context, c serveConf, cells map[string]*broker.Cell, log *slog.Logger) (*token.Verifier, error) {
	jwks := c.JWKS
	switch {
	case jwks == "" && c.Web.OIDCIssuer != "":
		u, err := token.Discover(ctx, c.Web.OIDCIssuer)
		if err != nil {
			return nil, fmt.Errorf("--oidc-issuer: %w", err)
		}
		jwks = u
		log.Info("access tokens are verified with the OpenID provider's keys", "issuer", c.Issuer, "jwks", jwks)
	case jwks == "":
		dir := filepath.Join(c.DataDir, "dev")
		for _, id := range slices.Sorted(maps.Keys(cells)) {
			if err := token.WriteDevSet(dir, id, slices.Sorted(maps.Keys(cells[id].Actors)), c.Issuer, c.Audiences[0], min(devTokenTTL, c.MaxTokenLifetime)); err != nil {
				return nil, fmt.Errorf("dev tokens: %w", err)
			}
		}
		jwks = token.DevJWKSPath(dir)
		log.Warn("[INSECURE] no --jwks given: accepting tokens signed by the development key; tokens for every actor are in "+filepath.Join(dir, "tokens"), "jwks", jwks)
	}
	refresh := c.JWKSRefresh
	if refresh == 0 {
		refresh = -1 // token.Conf: no timer; SIGHUP still reads it
	}
	v, err := token.New(ctx, token.Conf{
		JWKS: jwks, Issuer: c.Issuer, Audiences: c.Audiences, Claims: c.Claims,
		MaxLifetime: c.MaxTokenLifetime, Refresh: refresh,
		OnRefresh: func(rep token.RefreshReport, err error) { logJWKSRefresh(log, "timer", rep, err) },
	})
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return v, nil
}

// logJWKSRefresh says what a reading of the JWKS did: a failure (the
// previous keys stay) as an error, a change as news, nothing otherwise.
// Never a key: the report holds counts only.
func logJWKSRefresh(log *slog.Logger, by string, rep token.RefreshReport, err error) {
	switch {
	case err != nil:
		log.Error("JWKS refresh failed; the previous keys stay in force", "by", by, "err", err)
	case rep.Added > 0 || rep.Removed > 0 || by == "SIGHUP":
		log.Info("JWKS read again", "by", by, "keys", rep.Keys, "added", rep.Added, "removed", rep.Removed, "dropped_cached_tokens", rep.Dropped)
	}
}

// devTokenTTL is the lifetime of the dev tokens, at most
// --max-token-lifetime.
const devTokenTTL = 12 * time.Hour

func openRedis(c serveConf, log *slog.Logger) (redis.UniversalClient, func(), error) {
	url := c.RedisURL
	stop := func() {}
	if url == "" {
		addr, stopEmbedded, err := conn.StartEmbedded()
		if err != nil {
			return nil, nil, fmt.Errorf("embedded store: %w", err)
		}
		stop = stopEmbedded
		url = "redis://" + addr + "/0"
		log.Warn("[INSECURE] no --redis-url given: using an embedded in-memory store; NOTHING SURVIVES A RESTART")
	}
	conf := conn.DefaultConf()
	conf.TLS = c.RedisTLS
	client, err := conf.Open(url)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	if err := checkRedisHandshake(client, url); err != nil {
		client.Close()
		stop()
		return nil, nil, err
	}
	return client, func() { client.Close(); stop() }, nil
}

func listenAndServe(ctx context.Context, c serveConf, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	srv := newServer(c.Limits, h)
	scheme := "https"
	if c.TLSCert == "" {
		scheme = "http"
		log.Warn("[INSECURE] no --tls-cert given: serving plain HTTP; put TLS in front of it")
	} else {
		certs, err := newCertReloader(c.TLSCert, c.TLSKey)
		if err != nil {
			ln.Close()
			return err
		}
		srv.TLSConfig = certs.tlsConfig()
		go certs.reloadOnHUP(ctx, log)
	}
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, "", "") // the certificate comes from srv.TLSConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	log.Info("livc-broker listening", "url", scheme+"://"+ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", c.Limits.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.Limits.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ageEncrypter seals answers for Accept: application/age.
type ageEncrypter struct{}

func (ageEncrypter) SealTo(recipients []string, plaintext []byte) ([]byte, error) {
	return envelope.Seal(recipients, plaintext, false)
}

// keyringOpener opens envelopes with the keyring's identities of the moment:
// the current ones and the retired ones still in their grace period. An
// envelope to none of them may be sealed to identities `keys rotate` just
// wrote, which a client learned from a broker that has them: the key
// directory is read again (single-flight, rate-limited) and the envelope
// tried once more.
type keyringOpener struct{ kr *keys.Keyring }

func (o keyringOpener) Open(env []byte, limit int64) ([]byte, error) {
	mark := o.kr.ReloadMark()
	plain, err := envelope.NewOpener(o.kr.Identities()...).Open(env, limit)
	if !errors.Is(err, envelope.ErrRecipient) || o.kr.ReloadAfter(mark) != nil {
		return plain, err
	}
	return envelope.NewOpener(o.kr.Identities()...).Open(env, limit)
}

func (keyringOpener) Digest(env []byte) (string, error) { return envelope.Digest(env) }

// setGCPercent sets the collector's target, unless GOGC is in the
// environment: an operator's GOGC wins over the flag's default.
func setGCPercent(percent int, log *slog.Logger) {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		log.Info("GOGC is set in the environment; --gc-percent is not applied", "gogc", v)
		return
	}
	debug.SetGCPercent(percent)
}
