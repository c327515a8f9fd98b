package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// brokerFlags writes a placeholder token to a file of the test's own and
// returns the flags that point livcctl at the fake broker at url with it.
func brokerFlags(t *testing.T, url string) []string {
	t.Helper()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("not-a-real-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--broker", url, "--token-file", token}
}

func TestKeygen(t *testing.T) {
	for _, pq := range []string{"--pq=true", "--pq=false"} {
		t.Run(pq, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "id.txt")
			code, out, errs := run(t, "keygen", pq, "--write", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("identity file %v mode %v", err, fi.Mode())
			}
			f, _ := os.Open(path)
			defer f.Close()
			ids, err := age.ParseIdentities(f)
			if err != nil || len(ids) != 1 {
				t.Fatalf("identity file does not parse: %v", err)
			}
			rs, err := age.ParseRecipients(strings.NewReader(out))
			if err != nil || len(rs) != 1 {
				t.Fatalf("printed recipient %q does not parse: %v", out, err)
			}
			if strings.HasPrefix(out, "age1pq1") != (pq == "--pq=true") {
				t.Fatalf("recipient kind %q for %s", out, pq)
			}
			if code, _, _ := run(t, "keygen", "--write", path); code == 0 {
				t.Fatal("keygen overwrote an existing identity")
			}
		})
	}
}

func TestDevWritesATokenPerActor(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, "dev", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "[INSECURE]") || !strings.Contains(out, "jwks.json") {
		t.Fatalf("out %q err %q", out, errs)
	}
	for _, actor := range []string{"ocmw", "clb", "jeugddienst", "pz", "vsse", "parket", "burgemeester", "preventie", "unizo", "dpo"} {
		fi, err := os.Stat(filepath.Join(dir, "tokens", actor+".jwt"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("token of %s: %v", actor, err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{{}, {"nope"}, {"submit"}, {"card"}, {"cases"}, {"cases", "create"}, {"audit"}}
	for _, args := range cases {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			if code, _, _ := run(t, args...); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Setenv("LIVC_TOKEN", "")
		code, _, errs := run(t, "card", "--broker", "http://127.0.0.1:1", "s_x")
		if code != 1 || !strings.Contains(errs, "LIVC_TOKEN") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}
