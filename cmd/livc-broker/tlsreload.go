package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// certReloader serves the listener's certificate and reads it again on
// SIGHUP: a renewed certificate (certbot, an ACME client, a copy by hand)
// is in force for new connections without a restart, while connections
// already open keep theirs. A pair that does not load (unreadable, not
// matching, expired, not yet valid) leaves the previous one in force and
// says why in the log.
type certReloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
	now               func() time.Time
}

// newCertReloader loads the pair once; an error stops the start.
func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the pair and, only if it is good, puts it in force.
func (r *certReloader) reload() error {
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s with key %s: %w", r.certFile, r.keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("TLS certificate %s: %w", r.certFile, err)
		}
	}
	if now := r.now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return fmt.Errorf("TLS certificate %s is valid from %s to %s, not now", r.certFile,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	r.cur.Store(&pair)
	return nil
}

// getCertificate is tls.Config.GetCertificate: the pair in force.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := r.cur.Load(); c != nil {
		return c, nil
	}
	return nil, errors.New("no TLS certificate")
}

// tlsConfig is the listener's TLS configuration over the reloader.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate}
}

// reloadOnHUP reads the pair again on each SIGHUP until ctx ends, beside
// the JWKS and policy reload (reload.go), which listens for the same signal.
func (r *certReloader) reloadOnHUP(ctx context.Context, log *slog.Logger) {
	onHUP(ctx, func() {
		if err := r.reload(); err != nil {
			log.Error("TLS certificate reload failed; the previous certificate stays in force", "err", err)
			return
		}
		leaf := r.cur.Load().Leaf
		log.Info("TLS certificate reloaded", "cert", r.certFile, "subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	})
}
