package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite testdata/help/*.golden from the help livcctl prints")

// allCommands returns the path of every command of the tree ("" for the
// root), cobra's own help and completion commands included.
func allCommands(t *testing.T) [][]string {
	t.Helper()
	root := newRoot(&cliEnv{})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(root, nil)
	if len(paths) < 40 {
		t.Fatalf("only %d commands", len(paths))
	}
	return paths
}

// TestHelpGolden: the help of every command, asked with -h, exits 0 and is
// the text in testdata/help (go test -run TestHelpGolden -update rewrites
// them: read the diff). A golden file with no command is an error too.
func TestHelpGolden(t *testing.T) {
	for _, v := range []string{"LIVC_BROKER", "LIVC_DATA", "LIVC_ISSUER", "LIVC_AUDIENCE"} {
		t.Setenv(v, "")
	}
	want := map[string]bool{}
	for _, path := range allCommands(t) {
		name := strings.Join(append([]string{"livcctl"}, path...), "_")
		want[name+".golden"] = true
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, append(path, "-h")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			file := filepath.Join("testdata", "help", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no golden help (run with -update): %v", err)
			}
			if out != string(golden) {
				t.Errorf("the help differs from %s (run with -update and read the diff):\n%s", file, out)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "help", "*.golden"))
	for _, f := range files {
		if !want[filepath.Base(f)] && !*update {
			t.Errorf("%s is the help of no command: remove it", f)
		}
	}
}

// TestHelpConsistent: every command has a Short, no flag name has an
// underscore (kebab-case), and a short flag means one thing everywhere.
func TestHelpConsistent(t *testing.T) {
	shorts := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Name, "_") {
				t.Errorf("%s --%s is not kebab-case", c.CommandPath(), f.Name)
			}
			if f.Shorthand != "" {
				if prev, ok := shorts[f.Shorthand]; ok && prev != f.Name {
					t.Errorf("-%s is --%s in %s and --%s elsewhere", f.Shorthand, f.Name, c.CommandPath(), prev)
				}
				shorts[f.Shorthand] = f.Name
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&cliEnv{}))
	if shorts["q"] != "quiet" || shorts["o"] != "output" {
		t.Errorf("short flags %v", shorts)
	}
}

// TestGroupHelp: 'livcctl cases -h', 'audit -h' and 'tasks -h' exit 0 and
// list the group's commands on stdout (they were "unknown subcommand",
// exit 2); a group alone or an unknown subcommand is a usage error.
func TestGroupHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"cases", "-h"}, []string{"create", "list", "meetings", "review", "take", "task"}},
		{[]string{"cases", "--help"}, []string{"show"}},
		{[]string{"help", "cases"}, []string{"show"}},
		{[]string{"audit", "-h"}, []string{"list", "report", "checkpoint", "verify", "export", "alerts", "proof", "check an export offline"}},
		{[]string{"tasks", "-h"}, []string{"mine"}},
		{[]string{"signals", "-h"}, []string{"mine", "withdraw", "dismiss", "share", "correct", "--state"}},
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
			if strings.Contains(out, "  card ") || strings.Contains(out, "  submit ") {
				t.Errorf("the help lists another group's commands:\n%s", out)
			}
		})
	}
	for _, args := range [][]string{{"cases", "nope"}, {"audit", "nope"}, {"cases", "task", "nope"}} {
		if code, _, errOut := run(t, args...); code != 2 || !strings.Contains(errOut, "unknown subcommand") {
			t.Errorf("%v: exit %d %s; want 2", args, code, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		if code, out, _ := run(t, arg); code != 0 || out != "livcctl "+versionString()+"\n" || versionString() == "" {
			t.Errorf("livcctl %s: exit %d %q", arg, code, out)
		}
	}
	version = "v9.8.7"
	defer func() { version = "" }()
	if _, out, _ := run(t, "--version"); out != "livcctl v9.8.7\n" {
		t.Errorf("with -ldflags -X main.version: %q", out)
	}
}

// TestCompletion: livcctl completion SHELL prints a script for each shell
// that names livcctl; an unknown shell is a usage error.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			code, out, errOut := run(t, "completion", shell)
			if code != 0 || len(out) < 500 || !strings.Contains(out, "livcctl") {
				t.Fatalf("exit %d, %d bytes, stderr %q", code, len(out), errOut)
			}
		})
	}
	if code, _, _ := run(t, "completion", "tcsh"); code == 0 {
		t.Error("completion tcsh: exit 0")
	}
	// The shell asks cobra for the candidates: the subcommands of cases.
	if _, out, _ := run(t, "__complete", "cases", ""); !strings.Contains(out, "transition") || !strings.Contains(out, "meetings") {
		t.Errorf("__complete cases: %q", out)
	}
}
