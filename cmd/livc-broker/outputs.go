package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/auditout"
	"github.com/livc/livc-broker/internal/metrics"
)

// outputsConf is where the audit log goes besides Redis (internal/auditout):
// sink file, syslog, alert webhook.
type outputsConf struct {
	File          auditout.FileConf
	Syslog        string
	Webhook       string
	WebhookSecret []byte
	Every         time.Duration
}

// flags registers the output flags on fs and returns a function that
// validates them once fs is parsed.
func (o *outputsConf) flags(fs *flag.FlagSet) func() error {
	fs.StringVar(&o.File.Path, "audit-sink-file", envOr("LIVC_AUDIT_SINK_FILE", ""), "`FILE` to which every audit entry of every log is written, after it is in the log, as one line of JSON (mode 0600), for a SIEM to follow; off by default (env LIVC_AUDIT_SINK_FILE)")
	maxMB := fs.String("audit-sink-file-max-mb", envOr("LIVC_AUDIT_SINK_FILE_MAX_MB", "100"), "rotate --audit-sink-file when it would grow past `MB` megabytes, 1 to 10000 (env LIVC_AUDIT_SINK_FILE_MAX_MB)")
	backups := fs.String("audit-sink-file-backups", envOr("LIVC_AUDIT_SINK_FILE_BACKUPS", "10"), "how many rotated sink files to keep, `N` from 0 (all) to 10000 (env LIVC_AUDIT_SINK_FILE_BACKUPS)")
	fs.StringVar(&o.Syslog, "audit-sink-syslog", envOr("LIVC_AUDIT_SINK_SYSLOG", ""), "syslog `ADDR` to which every audit entry is sent (facility authpriv, tag livc-broker): local, udp://host:port, tcp://host:port or unix:///path; off by default (env LIVC_AUDIT_SINK_SYSLOG)")
	fs.StringVar(&o.Webhook, "alert-webhook", envOr("LIVC_ALERT_WEBHOOK", ""), "`URL` to which every alert is POSTed as it is raised, signed with HMAC-SHA256 (X-Livc-Signature); https, or http to a loopback address; off by default (env LIVC_ALERT_WEBHOOK)")
	secret := fs.String("alert-webhook-secret", envOr("LIVC_ALERT_WEBHOOK_SECRET", ""), "`FILE` (mode 0600) holding the webhook's HMAC secret, at least 32 bytes (env LIVC_ALERT_WEBHOOK_SECRET); required with --alert-webhook")
	every := fs.String("audit-follow-every", envOr("LIVC_AUDIT_FOLLOW_EVERY", "1s"), "`DURATION` from 100ms to 1m between readings of an idle log by the sinks and alerts (env LIVC_AUDIT_FOLLOW_EVERY)")
	return func() error {
		var err error
		if o.File.MaxMB, err = strconv.Atoi(*maxMB); err != nil || o.File.MaxMB < 1 || o.File.MaxMB > 10000 {
			return fmt.Errorf("--audit-sink-file-max-mb must be a whole number from 1 to 10000, got %q", *maxMB)
		}
		if o.File.Backups, err = strconv.Atoi(*backups); err != nil || o.File.Backups < 0 || o.File.Backups > 10000 {
			return fmt.Errorf("--audit-sink-file-backups must be a whole number from 0 to 10000, got %q", *backups)
		}
		if o.Every, err = time.ParseDuration(*every); err != nil || o.Every < 100*time.Millisecond || o.Every > time.Minute {
			return fmt.Errorf("--audit-follow-every must be a duration from 100ms to 1m, got %q", *every)
		}
		if o.Syslog != "" {
			if _, _, err := auditout.ParseSyslogAddr(o.Syslog); err != nil {
				return fmt.Errorf("--audit-sink-syslog: %w", err)
			}
		}
		return o.checkWebhook(*secret)
	}
}

func (o *outputsConf) checkWebhook(secretFile string) error {
	if o.Webhook == "" {
		if secretFile != "" {
			return errors.New("--alert-webhook-secret without --alert-webhook")
		}
		return nil
	}
	if err := auditout.CheckWebhookURL(o.Webhook); err != nil {
		return fmt.Errorf("--alert-webhook: %w", err)
	}
	if secretFile == "" {
		return errors.New("--alert-webhook needs --alert-webhook-secret FILE")
	}
	// The secret forges alerts: like a key file, no one else may read it.
	if fi, err := os.Stat(secretFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("--alert-webhook-secret: %s may be read by others (mode %04o): chmod 600 it", secretFile, fi.Mode().Perm())
	}
	b, err := os.ReadFile(secretFile)
	if err != nil {
		return fmt.Errorf("--alert-webhook-secret: %w", err)
	}
	o.WebhookSecret = []byte(strings.TrimSpace(string(b)))
	if len(o.WebhookSecret) < auditout.MinSecret {
		return fmt.Errorf("--alert-webhook-secret: the secret must be at least %d bytes", auditout.MinSecret)
	}
	return nil
}

// startOutputs starts following the logs of cells (and the broker's own
// log, for the sinks) into every configured output, and the alerts into
// metrics always. The returned stop ends them and closes the outputs.
func startOutputs(ctx context.Context, o outputsConf, feed auditout.Feed, cells map[string]*broker.Cell, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	ids := slices.Sorted(maps.Keys(cells))
	m.WatchCells(ids)
	outs, closers, err := openOutputs(o, cells, m)
	if err != nil {
		for _, c := range closers {
			c()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, out := range outs {
		logs := ids
		if out.Name() != "alerts" {
			logs = append([]string{""}, ids...) // entries of no cell, such as refused tokens
		}
		f := &auditout.Follower{Feed: feed, Out: out, Logs: logs, Every: o.Every, Logger: log, OnError: m.CountOutputFailure}
		wg.Add(1)
		go func() { defer wg.Done(); f.Run(ctx) }()
	}
	return func() {
		cancel()
		wg.Wait()
		for _, c := range closers {
			c()
		}
	}, nil
}

// openOutputs opens the configured outputs; closers close those opened.
func openOutputs(o outputsConf, cells map[string]*broker.Cell, m *metrics.Metrics) ([]auditout.Output, []func(), error) {
	var outs []auditout.Output
	var closers []func()
	if o.File.Path != "" {
		f, err := auditout.NewFile(o.File)
		if err != nil {
			return nil, closers, err
		}
		outs, closers = append(outs, f), append(closers, func() { f.Close() })
	}
	if o.Syslog != "" {
		s, err := auditout.NewSyslog(o.Syslog)
		if err != nil {
			return nil, closers, err
		}
		outs, closers = append(outs, s), append(closers, func() { s.Close() })
	}
	alerts := &auditout.Alerts{
		Conf:  func(livc string) broker.AuditConf { return cells[livc].Audit },
		Count: m.CountAlert,
	}
	if o.Webhook != "" {
		alerts.Sender = &auditout.Webhook{URL: o.Webhook, Secret: o.WebhookSecret}
	}
	return append(outs, alerts), closers, nil
}
