package main

import (
	"net"
	"strings"
	"testing"
)

// TestGroupHelp: 'livcctl cases -h' and 'livcctl audit -h' exit 0 and list
// the group's commands on stdout (they were "unknown subcommand", exit 2).
func TestGroupHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"cases", "-h"}, []string{"livcctl cases create", "livcctl cases list", "livcctl cases meetings add", "livcctl cases review"}},
		{[]string{"cases", "--help"}, []string{"livcctl cases show"}},
		{[]string{"audit", "-h"}, []string{"livcctl audit list", "livcctl audit report", "livcctl audit checkpoint", "livcctl audit verify", "livcctl audit export", "check an export offline"}},
		{[]string{"tasks", "-h"}, []string{"livcctl tasks mine"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the help does not list %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "livcctl card") || strings.Contains(out, "livcctl submit") {
				t.Errorf("the help lists another group's commands:\n%s", out)
			}
		})
	}
	if code, _, errOut := run(t, "cases", "nope"); code != 2 || !strings.Contains(errOut, "unknown subcommand") {
		t.Errorf("an unknown subcommand: exit %d %s; want 2", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		if code, out, _ := run(t, arg); code != 0 || out != "livcctl "+version+"\n" {
			t.Errorf("livcctl %s: exit %d %q", arg, code, out)
		}
	}
}

// TestBrokerURLMessages: a LIVC_BROKER without a scheme, or a broker that
// is down, gets a message that says so, not a URL-parsing or dial error.
func TestBrokerURLMessages(t *testing.T) {
	t.Setenv("LIVC_TOKEN", "not-a-real-token")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	for _, tc := range []struct {
		name, broker string
		code         int
		want         string
		not          []string
	}{
		{"no scheme", "127.0.0.1:8080", 2, "LIVC_BROKER (or --broker) must be the broker's URL with its scheme", []string{"first path segment", "missing protocol scheme"}},
		{"host only", "broker.example", 2, "must be the broker's URL with its scheme", nil},
		{"password not echoed", "ftp://user:s3cr3t@host", 2, "with its scheme", []string{"s3cr3t"}},
		{"broker down", down, 1, "cannot reach the broker at " + down + ": ", []string{"dial tcp", "not-a-real-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LIVC_BROKER", tc.broker)
			code, out, errOut := run(t, "cases", "list")
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q\n%s", code, errOut, tc.code, tc.want, out)
			}
			for _, n := range tc.not {
				if strings.Contains(errOut, n) {
					t.Errorf("the message holds %q: %s", n, errOut)
				}
			}
		})
	}
}
