package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker/auditlog"
)

// TestWitnessCommands: keygen writes a 0600 key once and prints its
// verifier key; serve and verify refuse what they cannot use, exit 2.
func TestWitnessCommands(t *testing.T) {
	key := filepath.Join(t.TempDir(), "w.key")
	code, out, errs := run(t, "witness", "keygen", "--name", "w.example", "--key", key)
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	if v, err := auditlog.NewCosignatureVerifier(strings.TrimSpace(out)); err != nil || v.Name() != "w.example" {
		t.Fatalf("keygen printed %q: %v", out, err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	vkey := strings.TrimSpace(out)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"keygen over an existing key", []string{"witness", "keygen", "--name", "w.example", "--key", key}, 1, "exists"},
		{"serve without a log", []string{"witness", "serve", "--key", key, "--state", filepath.Join(t.TempDir(), "s")}, 2, "--log"},
		{"serve with a bad log key", []string{"witness", "serve", "--key", key, "--state", "s", "--log", "livc-broker/audit/x=nope"}, 2, "the key of livc-broker/audit/x"},
		{"the group's help", []string{"witness", "-h"}, 0, "livcctl witness [command]"},
		{"a quorum above the keys", []string{"audit", "verify", "--key", "livc-broker+00000000+AQ==", "--witness", vkey, "--quorum", "2"}, 2, "--quorum N"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d, want %d; output %q, want %q", code, tc.code, out+errs, tc.want)
			}
		})
	}
}
