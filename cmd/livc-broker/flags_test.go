package main

import (
	"flag"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestParseServe(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	t.Run("defaults", func(t *testing.T) {
		c, err := parseServe(nil, noUsage)
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "127.0.0.1:8080" || c.Issuer != "livc-dev" || strings.Join(c.Audiences, ",") != "livc-broker" ||
			c.MaxBody != 1<<20 || c.RedisURL != "" || c.JWKS != "" || c.KeysDir != "" || len(c.Configs) != 0 ||
			c.GCPercent != defaultGCPercent || c.AdminListen != "127.0.0.1:9090" ||
			c.MaxTokenLifetime != 12*time.Hour || c.JWKSRefresh != 5*time.Minute {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("every flag reads its environment variable", func(t *testing.T) {
		env := map[string]string{
			"LIVC_CONFIG": "a.yaml,b.yaml", "LIVC_LISTEN": "127.0.0.1:9", "LIVC_TLS_CERT": "c.pem", "LIVC_TLS_KEY": "k.pem",
			"LIVC_REDIS_URL": "redis://r:6379/1", "LIVC_KEYS": "/k", "LIVC_JWKS": "j.json", "LIVC_ISSUER": "iss",
			"LIVC_AUDIENCE": "aud,aud2", "LIVC_MAX_BODY": "2048", "LIVC_ADMIN_LISTEN": "127.0.0.1:10", "LIVC_DATA": "/d",
			"LIVC_GC_PERCENT": "150", "LIVC_MAX_TOKEN_LIFETIME": "2h", "LIVC_JWKS_REFRESH": "0",
		}
		for k, v := range env {
			t.Setenv(k, v)
		}
		c, err := parseServe(nil, noUsage)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{strings.Join(c.Configs, ","), c.Listen, c.TLSCert, c.TLSKey, c.RedisURL, c.KeysDir, c.JWKS, c.Issuer, strings.Join(c.Audiences, ","), c.AdminListen, c.DataDir}
		want := []string{"a.yaml,b.yaml", "127.0.0.1:9", "c.pem", "k.pem", "redis://r:6379/1", "/k", "j.json", "iss", "aud,aud2", "127.0.0.1:10", "/d"}
		if strings.Join(got, " ") != strings.Join(want, " ") || c.MaxBody != 2048 || c.GCPercent != 150 ||
			c.MaxTokenLifetime != 2*time.Hour || c.JWKSRefresh != 0 {
			t.Fatalf("got %v %d", got, c.MaxBody)
		}
	})
	t.Run("a flag wins over the environment", func(t *testing.T) {
		t.Setenv("LIVC_LISTEN", "127.0.0.1:9")
		c, err := parseServe([]string{"--listen", "127.0.0.1:7", "--config", "x.yaml", "--config", "y.yaml"}, noUsage)
		if err != nil || c.Listen != "127.0.0.1:7" || len(c.Configs) != 2 {
			t.Fatalf("%+v %v", c, err)
		}
	})
	refusals := []struct {
		name string
		args []string
		says string
	}{
		{"max body not a number", []string{"--max-body", "lots"}, "--max-body"},
		{"max body too small", []string{"--max-body", "10"}, "--max-body"},
		{"tls cert without key", []string{"--tls-cert", "c.pem"}, "go together"},
		{"unknown log format", []string{"--log-format", "xml"}, "--log-format"},
		{"gc percent not a number", []string{"--gc-percent", "off"}, "--gc-percent"},
		{"gc percent too low", []string{"--gc-percent", "10"}, "--gc-percent"},
		{"gc percent too high", []string{"--gc-percent", "5000"}, "--gc-percent"},
		{"stray argument", []string{"extra"}, "no arguments"},
		{"admin listener empty", []string{"--admin-listen", ""}, "--admin-listen"},
		{"token lifetime zero", []string{"--max-token-lifetime", "0s"}, "--max-token-lifetime"},
		{"token lifetime a year", []string{"--max-token-lifetime", "8760h"}, "--max-token-lifetime"},
		{"jwks refresh too often", []string{"--jwks-refresh", "10ms"}, "--jwks-refresh"},
		{"jwks refresh negative", []string{"--jwks-refresh", "-1m"}, "--jwks-refresh"},
		{"unknown flag", []string{"--nope"}, "nope"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			_, err := parseServe(r.args, noUsage)
			if err == nil || !strings.Contains(err.Error(), r.says) {
				t.Fatalf("err %v, want one saying %q", err, r.says)
			}
		})
	}
}

// The flag's target is applied, unless the operator's GOGC is set.
func TestSetGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	log := slog.New(slog.DiscardHandler)

	t.Setenv("GOGC", "")
	setGCPercent(250, log)
	if got := debug.SetGCPercent(100); got != 250 {
		t.Errorf("without GOGC: the target is %d, want 250", got)
	}
	t.Setenv("GOGC", "50")
	setGCPercent(250, log)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set: the target was changed to %d", got)
	}
}
