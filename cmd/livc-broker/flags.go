package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/livc/livc-broker/internal/redis/conn"
	"github.com/livc/livc-broker/internal/token"
)

// serveConf is every setting of `livc-broker serve`. Each flag also reads
// from the environment; a flag given on the command line wins.
type serveConf struct {
	Configs []string
	Listen  string
	// AdminListen is where /metrics is served: an address (a loopback one
	// by default), AdminOff for nowhere, or AdminMain for the main
	// listener (which shows erasure counts to anyone who can reach it).
	AdminListen string
	TLSCert     string
	TLSKey      string
	RedisURL    string
	// RedisTLS is the CA and client certificate of a rediss:// URL.
	RedisTLS conn.TLSFiles
	KeysDir  string
	JWKS     string
	Issuer   string
	// Audiences are the accepted aud of tokens, Claims the names of the
	// claims that carry sub, livc and actor (authflags.go).
	Audiences []string
	Claims    token.ClaimNames
	// MaxTokenLifetime is the longest a token may be good for (exp - iat);
	// JWKSRefresh how often the JWKS is read again (SIGHUP reads it too).
	MaxTokenLifetime time.Duration
	JWKSRefresh      time.Duration
	MaxBody          int64
	DataDir          string
	LogFormat        string
	LogLevel         slog.Level
	// EpochPeriod is how long data keys stay wrapped under one key epoch;
	// KeyCheck how often the key maintenance runs (keymaint.go).
	EpochPeriod time.Duration
	KeyCheck    time.Duration
	Limits      limitsConf
	Retention   retentionConf // retention.go
	Outputs     outputsConf   // outputs.go
	// Web is the web application's sign-in and sessions (webflags.go).
	Web   webConf
	Pprof string
	// GCPercent is the Go collector's target (GOGC), set at start unless
	// GOGC is in the environment.
	GCPercent int
}

// defaultGCPercent: the broker's live heap is a few tens of MB and every
// request allocates, so at Go's default of 100 the collector runs several
// times a second under load and took a tenth of the card read's CPU; at 400
// the heap may grow to five times what is live, still far under the 200 MB
// a cell's broker is allowed (BENCHMARKS.md).
const defaultGCPercent = 400

// The special values of --admin-listen.
const (
	defaultAdminListen = "127.0.0.1:9090"
	AdminOff           = "off"
	AdminMain          = "main"
)

// multiFlag is a flag that may repeat.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// parseServe reads the flags of serve, with the environment as defaults.
func parseServe(args []string, usage func(*flag.FlagSet)) (serveConf, error) {
	var c serveConf
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() { usage(fs) }
	r := c.register(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.check(fs, r)
}

// rawServe holds the flags of serve that are checked and converted after
// parsing.
type rawServe struct {
	configs                                                       multiFlag
	lifetime, refresh, maxBody, epoch, check, gcPercent, logLevel string
	limits, retention, web, outputs, token                        func() error
}

// register defines the flags of serve on fs: those that need no checking
// into c, the others into the returned rawServe.
func (c *serveConf) register(fs *flag.FlagSet) *rawServe {
	r := new(rawServe)
	fs.Var(&r.configs, "config", "a cell's configuration `FILE` (livc-example.yaml form); repeat for several cells (env LIVC_CONFIG, comma-separated). Default: the embedded demo cell")
	fs.StringVar(&c.Listen, "listen", envOr("LIVC_LISTEN", "127.0.0.1:8080"), "`ADDR` to serve on (env LIVC_LISTEN)")
	fs.StringVar(&c.AdminListen, "admin-listen", envOr("LIVC_ADMIN_LISTEN", defaultAdminListen), "`ADDR` to serve /metrics on, apart from the API; off for no metrics, main for the main listener, where anyone who reaches the API reads them (env LIVC_ADMIN_LISTEN)")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr("LIVC_TLS_CERT", ""), "certificate `FILE` to serve HTTPS (env LIVC_TLS_CERT); default plain HTTP, with a warning")
	fs.StringVar(&c.TLSKey, "tls-key", envOr("LIVC_TLS_KEY", ""), "private key `FILE` of --tls-cert (env LIVC_TLS_KEY)")
	fs.StringVar(&c.RedisURL, "redis-url", envOr("LIVC_REDIS_URL", ""), "`URL` redis://host:port/db, rediss://, redis+sentinel://host:port,…/master/db or redis+cluster://host:port,… (env LIVC_REDIS_URL). Default: an embedded in-memory store that keeps nothing across restarts")
	fs.StringVar(&c.KeysDir, "keys", envOr("LIVC_KEYS", ""), "`DIR` of the broker's age identities, pseudonym secret, key-encryption key and audit signing key (env LIVC_KEYS). Default: created under --data on first start, with a warning")
	fs.StringVar(&c.JWKS, "jwks", envOr("LIVC_JWKS", ""), "JWKS `FILE-or-URL` of the keys that sign access tokens (env LIVC_JWKS). Default: the dev keys of `livcctl dev` under --data, with a warning")
	fs.StringVar(&c.Issuer, "issuer", envOr("LIVC_ISSUER", "livc-dev"), "required `iss` of tokens (env LIVC_ISSUER). Default, with --oidc-issuer and no --jwks: that issuer")
	r.token = c.tokenFlags(fs)
	r.lifetime = envOr("LIVC_MAX_TOKEN_LIFETIME", "12h")
	fs.StringVar(&r.lifetime, "max-token-lifetime", r.lifetime, "longest `DURATION` a token may be good for, from 1m to 720h: exp - iat, or exp - now for a token without iat; a longer one is refused like any bad token (env LIVC_MAX_TOKEN_LIFETIME)")
	r.refresh = envOr("LIVC_JWKS_REFRESH", "5m")
	fs.StringVar(&r.refresh, "jwks-refresh", r.refresh, "`DURATION` between readings of the --jwks file or URL, from 1s to 24h, or 0 for none but on SIGHUP; a key gone from it stops verifying at once, a reading that fails keeps the previous keys (env LIVC_JWKS_REFRESH)")
	r.maxBody = envOr("LIVC_MAX_BODY", "1048576")
	fs.StringVar(&r.maxBody, "max-body", r.maxBody, "largest request body in `BYTES`; larger is 413 (env LIVC_MAX_BODY)")
	fs.StringVar(&c.DataDir, "data", envOr("LIVC_DATA", ".livc"), "`DIR` for what the broker creates itself in development: keys and dev tokens (env LIVC_DATA)")
	fs.StringVar(&c.LogFormat, "log-format", envOr("LIVC_LOG_FORMAT", "text"), "log format, `text` or json (env LIVC_LOG_FORMAT)")
	fs.StringVar(&r.logLevel, "log-level", envOr("LIVC_LOG_LEVEL", "info"), "the least `LEVEL` logged: debug, info, warn or error (env LIVC_LOG_LEVEL)")
	redisTLSFlags(fs, &c.RedisTLS)
	r.limits = c.Limits.flags(fs)
	r.retention = c.Retention.flags(fs)
	r.web = c.Web.flags(fs)
	r.outputs = c.Outputs.flags(fs)
	r.epoch = envOr("LIVC_EPOCH_PERIOD", "24h")
	fs.StringVar(&r.epoch, "epoch-period", r.epoch, "`DURATION` of a key epoch: an erased person's records become unreadable in old copies of Redis (AOF, RDB, backups) at most this long (plus a few --key-check intervals) after the erasure (env LIVC_EPOCH_PERIOD)")
	r.check = envOr("LIVC_KEY_CHECK", "1m")
	fs.StringVar(&r.check, "key-check", r.check, "`DURATION` between key maintenance runs: adopting rotated keys, starting and destroying key epochs (env LIVC_KEY_CHECK)")
	fs.StringVar(&c.Pprof, "pprof", envOr("LIVC_PPROF", ""), "loopback `ADDR` to serve the Go profiler (/debug/pprof/) on; off by default (env LIVC_PPROF)")
	r.gcPercent = envOr("LIVC_GC_PERCENT", strconv.Itoa(defaultGCPercent))
	fs.StringVar(&r.gcPercent, "gc-percent", r.gcPercent, "the Go collector's target `PERCENT` (GOGC) from 25 to 1000: the heap may grow to 1+PERCENT/100 times what is live before a collection; higher spends memory to save CPU. GOGC in the environment, when set, wins (env LIVC_GC_PERCENT)")
	return r
}

// check checks the flags of serve that r holds and sets them in c, with
// what the environment gives for the configurations.
func (c *serveConf) check(fs *flag.FlagSet, r *rawServe) error {
	var err error
	if c.GCPercent, err = strconv.Atoi(r.gcPercent); err != nil || c.GCPercent < 25 || c.GCPercent > 1000 {
		return fmt.Errorf("--gc-percent must be a whole number from 25 to 1000, got %q", r.gcPercent)
	}
	if err := r.limits(); err != nil {
		return err
	}
	if err := r.retention(); err != nil {
		return err
	}
	if err := r.web(); err != nil {
		return err
	}
	if err := r.outputs(); err != nil {
		return err
	}
	if err := r.token(); err != nil {
		return err
	}
	if c.EpochPeriod, err = time.ParseDuration(r.epoch); err != nil || c.EpochPeriod < time.Second || c.EpochPeriod > 90*24*time.Hour {
		return fmt.Errorf("--epoch-period must be a duration from 1s to 2160h, got %q", r.epoch)
	}
	if c.KeyCheck, err = time.ParseDuration(r.check); err != nil || c.KeyCheck < 100*time.Millisecond || c.KeyCheck > time.Hour {
		return fmt.Errorf("--key-check must be a duration from 100ms to 1h, got %q", r.check)
	}
	if c.MaxTokenLifetime, err = time.ParseDuration(r.lifetime); err != nil || c.MaxTokenLifetime < time.Minute || c.MaxTokenLifetime > 720*time.Hour {
		return fmt.Errorf("--max-token-lifetime must be a duration from 1m to 720h, got %q", r.lifetime)
	}
	if c.JWKSRefresh, err = time.ParseDuration(r.refresh); err != nil || c.JWKSRefresh < 0 || c.JWKSRefresh > 24*time.Hour ||
		(c.JWKSRefresh > 0 && c.JWKSRefresh < time.Second) {
		return fmt.Errorf("--jwks-refresh must be 0 or a duration from 1s to 24h, got %q", r.refresh)
	}
	if strings.TrimSpace(c.AdminListen) == "" {
		return fmt.Errorf("--admin-listen must be an address, %s or %s, not empty", AdminOff, AdminMain)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Arg(0))
	}
	c.Configs = r.configs
	if len(c.Configs) == 0 {
		if v := envOr("LIVC_CONFIG", ""); v != "" {
			c.Configs = strings.Split(v, ",")
		}
	}
	n, err := strconv.ParseInt(r.maxBody, 10, 64)
	if err != nil || n < 1024 || n > 1<<30 {
		return fmt.Errorf("--max-body must be a number of bytes from 1024 to 1073741824, got %q", r.maxBody)
	}
	c.MaxBody = n
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat)
	}
	if c.LogLevel, err = parseLogLevel(r.logLevel); err != nil {
		return err
	}
	return checkRedisTLS(c.RedisTLS, c.RedisURL)
}
