package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/conn"
)

// redisTLSFlags defines --redis-ca, --redis-cert and --redis-key on fs,
// into f: a rediss:// server signed by a private CA, and the client
// certificate a Redis with tls-auth-clients asks for. serve and keys take
// them alike.
func redisTLSFlags(fs *flag.FlagSet, f *conn.TLSFiles) {
	fs.StringVar(&f.CA, "redis-ca", envOr("LIVC_REDIS_CA", ""), "PEM `FILE` of the CA certificates that sign the rediss:// server's certificate, instead of the system's (env LIVC_REDIS_CA)")
	fs.StringVar(&f.Cert, "redis-cert", envOr("LIVC_REDIS_CERT", ""), "client certificate `FILE` (PEM) to present to a rediss:// server (env LIVC_REDIS_CERT)")
	fs.StringVar(&f.Key, "redis-key", envOr("LIVC_REDIS_KEY", ""), "private key `FILE` (PEM) of --redis-cert (env LIVC_REDIS_KEY)")
}

// checkRedisTLS refuses TLS files without a Redis URL to use them on (the
// embedded store speaks no TLS); conn refuses them with a plain redis://.
func checkRedisTLS(f conn.TLSFiles, redisURL string) error {
	if f != (conn.TLSFiles{}) && redisURL == "" {
		return errors.New("--redis-ca, --redis-cert and --redis-key need --redis-url rediss://…")
	}
	if (f.Cert == "") != (f.Key == "") {
		return errors.New("--redis-cert and --redis-key go together")
	}
	return nil
}

// checkRedisHandshake refuses to start on a rediss:// URL whose TLS
// handshake fails on a certificate (another CA, no client certificate):
// that is a configuration to mend, not an outage to wait out. Redis being
// down does not stop the start; /readyz says so until it is back.
func checkRedisHandshake(client redis.UniversalClient, url string) error {
	if !strings.HasPrefix(strings.ToLower(url), "rediss") {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil && conn.HandshakeRefused(err) {
		return fmt.Errorf("redis: the TLS handshake failed (check --redis-ca, --redis-cert and --redis-key): %w", err)
	}
	return nil
}

// logLevels are the values of --log-level.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// parseLogLevel reads a --log-level value, in any case.
func parseLogLevel(s string) (slog.Level, error) {
	l, ok := logLevels[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

// newLogger is the broker's log: text or JSON lines on w, from level up.
func newLogger(format string, level slog.Level, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
