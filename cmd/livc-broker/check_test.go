package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const configTestdata = "../../internal/config/testdata"

// TestCheckBrokenConfigs: every broken configuration of the config
// package's testdata fails `check` with exit status 1 and a message naming
// the file (and the line, where the file has one); the good ones pass.
func TestCheckBrokenConfigs(t *testing.T) {
	bad, err := filepath.Glob(filepath.Join(configTestdata, "bad-*.yaml"))
	if err != nil || len(bad) < 10 {
		t.Fatalf("broken configurations: %v, %d", err, len(bad))
	}
	for _, path := range bad {
		t.Run(filepath.Base(path), func(t *testing.T) {
			code, out, errOut := runMain(t, "check", "--config", path)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if !strings.Contains(errOut, path+":") {
				t.Fatalf("the message does not name %s:\n%s", path, errOut)
			}
		})
	}
	for _, path := range []string{"zonnedaal.yaml", "minimal.yaml", "withpolicies/cell.yaml"} {
		t.Run("good "+path, func(t *testing.T) {
			code, out, errOut := runMain(t, "check", "--config", filepath.Join(configTestdata, path))
			if code != 0 || !strings.HasPrefix(out, "ok: ") && !strings.Contains(out, "\nok: ") {
				t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
}

// TestCheck: lines, several files, the policy, usage.
func TestCheck(t *testing.T) {
	dup := filepath.Join(configTestdata, "bad-field-dup.yaml")
	tab := filepath.Join(configTestdata, "bad-syntax-tab.yaml")
	good := filepath.Join(configTestdata, "minimal.yaml")
	badRules := cellWithRules(t, "package livc.cells.withpolicies\n\nwithhold contains c if {\n  c := input.nope[\n}\n")
	tests := []struct {
		name string
		args []string
		code int
		want []string // each a regexp that stdout+stderr must match
	}{
		{"line of the problem", []string{"--config", dup}, 1, []string{regexp.QuoteMeta(dup) + `:31: key "presence" is given twice`}},
		{"every file's problems", []string{"--config", dup, "--config", tab, "--config", good}, 1,
			[]string{regexp.QuoteMeta(dup) + `:31:`, regexp.QuoteMeta(tab) + `:17: not valid YAML`}},
		{"two cells of one id", []string{"--config", good, "--config", good}, 1, []string{`:\d+: livc id "\w+" is already the id of the cell in`}},
		{"a cell's rules that do not compile", []string{"--config", badRules}, 1, []string{regexp.QuoteMeta(filepath.Join(filepath.Dir(badRules), "rules", "bad.rego")) + `:5: rego_parse_error`}},
		{"positional files", []string{good}, 0, []string{`ok: 1 cell\(s\) `}},
		{"no configuration", nil, 2, []string{`--config FILE is required`}},
		{"help", []string{"-h"}, 0, []string{`Usage: livc-broker check --config FILE`, `-config FILE`}},
		{"missing file", []string{"--config", filepath.Join(t.TempDir(), "nope.yaml")}, 1, []string{`nope\.yaml`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LIVC_CONFIG", "")
			code, out, errOut := runMain(t, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(out + errOut) {
					t.Errorf("output does not match %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

// cellWithRules writes the withpolicies cell with one rules file of the
// given content and returns the configuration's path.
func cellWithRules(t *testing.T, rego string) string {
	t.Helper()
	dir := t.TempDir()
	cell, err := os.ReadFile(filepath.Join(configTestdata, "withpolicies", "cell.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rules"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"cell.yaml": cell, "rules/bad.rego": []byte(rego)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "cell.yaml")
}

// runMain runs the command line and returns its exit code and outputs.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestHelpAndVersion: --version, and keys -h listing its subcommands on
// stdout with exit 0 (it was 2, then stderr); each subcommand's -h too.
func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		if code, out, _ := runMain(t, arg); code != 0 || out != "livc-broker "+version+"\n" {
			t.Errorf("livc-broker %s: exit %d %q", arg, code, out)
		}
	}
	code, out, errOut := runMain(t, "keys", "-h")
	if code != 0 || errOut != "" {
		t.Errorf("keys -h: exit %d, stderr %q; want 0 and nothing", code, errOut)
	}
	for _, sub := range []string{"keys init", "keys rotate", "keys status"} {
		if !strings.Contains(out, "livc-broker "+sub) {
			t.Errorf("keys -h does not list %s on stdout:\n%s", sub, out)
		}
	}
	for _, args := range [][]string{{"keys", "init", "-h"}, {"keys", "rotate", "-h"}, {"keys", "status", "--help"}, {"probe", "-h"}} {
		if code, out, errOut := runMain(t, args...); code != 0 || !strings.Contains(out, "Usage") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args, code, out, errOut)
		}
	}
	if code, _, _ := runMain(t, "keys"); code != 2 {
		t.Errorf("keys without a subcommand: exit %d, want 2", code)
	}
}
