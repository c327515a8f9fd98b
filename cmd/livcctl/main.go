// Command livcctl is the client of livc-broker for people and scripts. It
// reads the broker's URL from LIVC_BROKER (or --broker) and the access token
// from LIVC_TOKEN (or --token-file).
//
// The command line is built with cobra: every command is one constructor,
// func(env *cliEnv) *cobra.Command, in the file of its family, registered in
// one list: topCommands below for a top-level command, or the list of its
// group (casesCommands, auditCommands, signalsCommands, …) for a subcommand.
// Adding a command is one small file: its constructor declares its Use
// ("name ARGS"), Short, Args (exactArgs and friends, which make a wrong
// count a usage error), its flags (kebab-case; a short letter only when it
// means the same everywhere: -q prints only ids, -o is the output format),
// takes a client with env.client(cmd, purpose), and in RunE calls the broker
// with client.call and prints the answer with env.emit (a table on a
// terminal, JSON otherwise). Then one line in a list, and a golden help text
// (go test ./cmd/livcctl -run TestHelpGolden -update).
//
// Exit status: 0 done, 1 the broker refused or an error, 2 a usage error
// (unknown command or flag, wrong arguments, a bad --broker URL).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// version is set at build time (-ldflags "-X main.version=…"); else it is
// the module version of the build info, or "dev".
var version = ""

// versionString returns the version livcctl reports.
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// topCommands are livcctl's commands, in the order help lists them.
var topCommands = []func(*cliEnv) *cobra.Command{
	newLoginCmd, newDevCmd, newKeygenCmd, newKeysCmd, newSubmitCmd, newSignalsCmd, newCardCmd,
	newLookupCmd, newObserveCmd, newEraseCmd, newCasesCmd, newTasksCmd,
	newRetentionCmd, newStatsCmd, newAuditCmd, newWitnessCmd, newVersionCmd,
}

// cliEnv is what a command may use: the context, the standard streams and
// the global flags.
type cliEnv struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	global         globalFlags
}

// usageError is a mistake in how livcctl was called: exit status 2.
type usageError struct{ error }

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &cliEnv{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(env)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := "livcctl"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s -h' for help.\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// isCobraUsage tells the errors cobra itself makes of a command line it
// cannot take (an unknown command of the root, a missing required flag).
func isCobraUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown command") || strings.HasPrefix(m, "required flag") ||
		strings.HasPrefix(m, "invalid argument") || strings.HasPrefix(m, "unknown flag") ||
		strings.HasPrefix(m, "unknown shorthand flag") || strings.Contains(m, "flag needs an argument")
}

// newRoot builds the whole command tree.
func newRoot(env *cliEnv) *cobra.Command {
	root := &cobra.Command{
		Use:   "livcctl",
		Short: "the client of livc-broker",
		Long: `livcctl is the client of livc-broker for people and scripts.

It reads the broker's URL from LIVC_BROKER (or --broker) and the access token from
LIVC_TOKEN (or --token-file). Answers are tables on a terminal and JSON otherwise
(--output). Exit status: 0 done, 1 refused by the broker or another error, 2 a usage
error.`,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          groupArgs,
		RunE:          groupRun,
	}
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetVersionTemplate("livcctl {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	env.global.register(root)
	for _, c := range topCommands {
		root.AddCommand(c(env))
	}
	// cobra's own help and completion commands, in the house style; an
	// unknown shell is a usage error.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "completion":
			c.Short = "print the shell's completion script: bash, zsh, fish or powershell"
			c.Args, c.RunE = groupArgs, groupRun
		case "help":
			c.Short = "the help of any command: livcctl help COMMAND..."
		}
	}
	return root
}

// group returns a command that only holds subcommands: run alone it prints
// its help and is a usage error, as is an unknown subcommand.
func group(env *cliEnv, use, short string, subs []func(*cliEnv) *cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Args: groupArgs, RunE: groupRun}
	for _, c := range subs {
		g.AddCommand(c(env))
	}
	return g
}

// groupArgs accepts anything: groupRun says what is wrong.
func groupArgs(*cobra.Command, []string) error { return nil }

// groupRun is a group run without a known subcommand.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if !cmd.HasParent() {
			return usageError{fmt.Errorf("unknown command %q", args[0])}
		}
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
	cmd.SetOut(cmd.ErrOrStderr())
	_ = cmd.Help()
	return usageError{errors.New("a command is needed")}
}

// exactArgs is cobra.ExactArgs whose error says what the arguments are and
// is a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s", cmd.Name(), what)}
		}
		return nil
	}
}

// minArgs is exactArgs for at least n arguments.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Errorf("%s takes %s", cmd.Name(), what)}
		}
		return nil
	}
}

// newVersionCmd: livcctl version, as livcctl --version.
func newVersionCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print livcctl's version",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(env.stdout, "livcctl", versionString())
			return err
		},
	}
}
