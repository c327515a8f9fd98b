package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

const probeUsage = `Usage: livc-broker probe [--cacert FILE] URL

Asks URL (the broker's /readyz or /healthz) once and exits 0 if it answers 200, 1 otherwise,
saying why on stderr: a container's or a supervisor's health check where the image has no
shell and no curl. --cacert trusts a private CA for an https:// URL.

`

// probeMain runs `livc-broker probe` and returns its exit code.
func probeMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cacert := fs.String("cacert", "", "PEM `FILE` of the CA that signs an https:// URL's certificate")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after `DURATION`")
	fs.Usage = func() { fmt.Fprint(stdout, probeUsage); fs.SetOutput(stdout); fs.PrintDefaults() }
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, probeUsage)
		return 2
	}
	if err := probe(ctx, fs.Arg(0), *cacert, *timeout); err != nil {
		fmt.Fprintf(stderr, "livc-broker probe: %v\n", err)
		return 1
	}
	return 0
}

// probe GETs rawURL, directly and without following a redirect, and
// returns nil on 200.
func probe(ctx context.Context, rawURL, cacert string, timeout time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is no http:// or https:// URL", rawURL)
	}
	// No proxy: the probe asks the broker it names, never a host between.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if cacert != "" {
		pem, err := os.ReadFile(cacert)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", cacert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	// A redirect is an answer other than 200, not a place to go: following
	// it would send the probe to whatever host the answer names.
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", u.Redacted(), resp.Status, body)
	}
	return nil
}
