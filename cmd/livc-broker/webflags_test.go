package main

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseWebFlags(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	t.Run("defaults", func(t *testing.T) {
		c, err := parseServe(nil, noUsage)
		if err != nil {
			t.Fatal(err)
		}
		w := c.Web
		if w.OIDCIssuer != "" || w.OIDCLivcClaim != "livc" || w.OIDCActorClaim != "actor" ||
			w.IdleTimeout != 30*time.Minute || w.Lifetime != 12*time.Hour {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("a provider", func(t *testing.T) {
		t.Setenv("LIVC_OIDC_CLIENT_SECRET", "s3cret")
		c, err := parseServe([]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "broker",
			"--oidc-redirect-url", "https://livc.example/auth/callback", "--oidc-actor-claim", "org"}, noUsage)
		if err != nil {
			t.Fatal(err)
		}
		if c.Web.OIDCClientSecret != "s3cret" || c.Web.OIDCActorClaim != "org" {
			t.Fatalf("%+v", c.Web)
		}
	})
	t.Run("-h never prints the secret", func(t *testing.T) {
		t.Setenv("LIVC_OIDC_CLIENT_SECRET", "s3cret")
		var out strings.Builder
		_, err := parseServe([]string{"-h"}, func(fs *flag.FlagSet) { fs.SetOutput(&out); fs.PrintDefaults() })
		if err != flag.ErrHelp || !strings.Contains(out.String(), "oidc-client-secret") || strings.Contains(out.String(), "s3cret") {
			t.Fatalf("-h: %v\n%s", err, out.String())
		}
	})
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"client id without an issuer", []string{"--oidc-client-id", "b"}, "need --oidc-issuer"},
		{"client id without a redirect", []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "b"}, "--oidc-redirect-url"},
		{"empty claim", []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "b",
			"--oidc-redirect-url", "https://x/auth/callback", "--oidc-livc-claim", ""}, "claims"},
		{"idle longer than lifetime", []string{"--web-idle-timeout", "2h", "--web-session-lifetime", "1h"}, "--web-idle-timeout"},
		{"lifetime too long", []string{"--web-session-lifetime", "48h"}, "--web-session-lifetime"},
		{"idle not a duration", []string{"--web-idle-timeout", "soon"}, "--web-idle-timeout"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseServe(c.args, noUsage)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %s", err, c.want)
			}
		})
	}
}
