package main

import (
	"flag"
	"strings"
	"testing"
)

func TestTokenFlags(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	const idp = "https://idp.example"
	cases := []struct {
		name           string
		env            map[string]string
		args           []string
		wantIssuer     string
		wantAuds       string
		wantClaims     string // sub livc actor
		wantDev, isErr bool
		says           string
	}{
		{name: "defaults", wantIssuer: "livc-dev", wantAuds: "livc-broker", wantClaims: "sub livc actor", wantDev: true},
		{name: "several audiences and mapped claims", args: []string{"--audience", "a", "--audience", "api://b",
			"--claim-sub", "oid", "--claim-livc", "org.cell", "--claim-actor", "roles.actor"},
			wantIssuer: "livc-dev", wantAuds: "a api://b", wantClaims: "oid org.cell roles.actor", wantDev: true},
		{name: "from the environment", env: map[string]string{"LIVC_AUDIENCE": "a, b", "LIVC_CLAIM_ACTOR": "x", "LIVC_CLAIM_LIVC": "y", "LIVC_CLAIM_SUB": "z"},
			wantIssuer: "livc-dev", wantAuds: "a b", wantClaims: "z y x", wantDev: true},
		{name: "the OpenID issuer is the required iss", args: []string{"--oidc-issuer", idp},
			wantIssuer: idp, wantAuds: "livc-broker", wantClaims: "sub livc actor"},
		{name: "the same --issuer is fine", args: []string{"--oidc-issuer", idp, "--issuer", idp},
			wantIssuer: idp, wantAuds: "livc-broker", wantClaims: "sub livc actor"},
		{name: "with --jwks the issuer stays --issuer's", args: []string{"--oidc-issuer", idp, "--jwks", "j.json", "--issuer", "other"},
			wantIssuer: "other", wantAuds: "livc-broker", wantClaims: "sub livc actor"},
		{name: "another --issuer is refused", args: []string{"--oidc-issuer", idp, "--issuer", "other"}, isErr: true, says: "differs from --oidc-issuer"},
		{name: "another issuer in the environment is refused", env: map[string]string{"LIVC_ISSUER": "other"}, args: []string{"--oidc-issuer", idp}, isErr: true, says: "differs"},
		{name: "empty audience", args: []string{"--audience", ""}, isErr: true, says: "--audience"},
		{name: "empty claim name", args: []string{"--claim-actor", " "}, isErr: true, says: "--claim-actor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := parseServe(tc.args, noUsage)
			if tc.isErr {
				if err == nil || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("err = %v, want one saying %q", err, tc.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			claims := c.Claims.Sub + " " + c.Claims.Livc + " " + c.Claims.Actor
			if c.Issuer != tc.wantIssuer || strings.Join(c.Audiences, " ") != tc.wantAuds || claims != tc.wantClaims || c.devTokens() != tc.wantDev {
				t.Errorf("issuer %q audiences %q claims %q dev %v", c.Issuer, c.Audiences, claims, c.devTokens())
			}
		})
	}
}
