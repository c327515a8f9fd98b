// Command livcctl is the client of livc-broker for people and scripts. It
// reads the broker's URL from LIVC_BROKER and the access token from
// LIVC_TOKEN (or --token-file).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usageText = `livcctl: the client of livc-broker

Usage:
  livcctl dev [flags]                 write a dev signing key, a JWKS and a token per actor of a cell
  livcctl keygen [flags]              make an age identity for an actor and print its recipient
  livcctl submit [flags] FILE         encrypt a signal (JSON) to the broker here, and send it
  livcctl signals [flags]             the coordinator's intake: every signal, newest first, with its
                                      person's pseudonym and state (--state S, --signal ID, -q)
  livcctl signals mine [-q]           your organisation's signals and their states, nothing else
  livcctl signals withdraw ID         withdraw your own signal: its record is crypto-shredded
  livcctl signals dismiss ID --reason TEXT  no follow-up for a signal of the intake (coordinator)
  livcctl signals share ID --case CASE      share your own record with a dossier whose roster holds you:
                                      a record bound by professional secrecy reaches its roster only then
  livcctl signals correct [-q] ID FILE  replace your own signal by a corrected one (same person):
                                      the earlier values leave every card at once
  livcctl card [flags] REF            read the information card of a person
  livcctl cases create [flags]        register a dossier (coordinator)
  livcctl cases take [flags] ID SIGNAL...   take received signals about the dossier's person into it (coordinator)
  livcctl cases roster [flags] ID ACTOR...  set a dossier's roster (coordinator)
  livcctl cases list [flags]          list the dossiers the caller may see (--purpose prioritisation for the tactical table)
  livcctl cases show [flags] ID       read one dossier
  livcctl cases transition --reason TEXT [flags] ID STATE  move a dossier (roster, coordinator)
  livcctl cases priority [flags] ID 1-5                     set a priority (tactical table)
  livcctl cases task add --actor A --description D --due DATE --scenario S [-q] ID   assign a task (tactical table)
  livcctl cases task report --status S --report TEXT ID TASK   report on it (the assigned actor)
  livcctl tasks mine [-q]             the tasks assigned to you on the open dossiers whose roster holds you
  livcctl cases meetings add --attendees A,B [--held-at T] [--decision ACTOR:DUE:TEXT]... ID
                                      record a case conference (the coordinator)
  livcctl cases meetings list [-q] ID the dossier's case conferences (its roster, the coordinator)
  livcctl retention [--days N] [-q]   what the retention schedule erases within N days (the coordinator)
  livcctl cases review --reason TEXT ID  keep a closed dossier one more retention period (the coordinator)
  livcctl audit list [flags]          list audit entries (privacy officer; --log broker: the broker's own log)
  livcctl audit report [flags] REF    every access to one person's data
  livcctl audit report --subject FILE the same, of an identity (JSON) sent encrypted
  livcctl audit checkpoint -o FILE    save the latest signed checkpoint
  livcctl audit verify [--checkpoint FILE] [--key KEY] [--log EXPORT]
                                      replay the whole log against the signed checkpoints;
                                      with FILE, prove today's log extends the saved one;
                                      with --log, check an export offline (no broker)
  livcctl audit verify --tiles [--state FILE] [--key KEY]
                                      read the log as tlog-tiles and check only what is new
                                      since the checkpoint kept in FILE (default: cache dir)
  livcctl audit export [--from N] [--to M]  a range as JSON lines with inclusion proofs

Environment:
  LIVC_BROKER   the broker's URL (default http://127.0.0.1:8080)
  LIVC_TOKEN    the access token (or --token-file FILE)

Run 'livcctl COMMAND -h' for a command's flags, 'livcctl cases -h' or 'livcctl audit -h'
for a group's commands, 'livcctl --version' for the version.
`

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

// groupHelp prints the lines of usageText of the commands of group (and
// their continuation lines) to stdout: the help of 'livcctl GROUP -h'.
func groupHelp(env *cliEnv, group string) error {
	fmt.Fprintf(env.stdout, "Usage of livcctl %s:\n", group)
	in := false
	for _, line := range strings.Split(usageText, "\n") {
		switch {
		case strings.HasPrefix(line, "  livcctl "+group+" ") || line == "  livcctl "+group:
			in = true
		case !strings.HasPrefix(line, "    "): // not a continuation line
			in = false
		}
		if in {
			fmt.Fprintln(env.stdout, line)
		}
	}
	fmt.Fprintf(env.stdout, "\nRun 'livcctl %s SUBCOMMAND -h' for its flags.\n", group)
	return helpShown{}
}

// isHelp tells whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	env := &cliEnv{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	var err error
	switch args[0] {
	case "dev":
		err = cmdDev(env, args[1:])
	case "keygen":
		err = cmdKeygen(env, args[1:])
	case "submit":
		err = cmdSubmit(env, args[1:])
	case "signals", "intake":
		err = cmdSignals(env, args[1:])
	case "card":
		err = cmdCard(env, args[1:])
	case "cases":
		err = cmdCases(env, args[1:])
	case "tasks":
		err = cmdTasks(env, args[1:])
	case "retention":
		err = cmdRetention(env, args[1:]) // meetings.go
	case "audit":
		err = cmdAudit(env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return 0
	case "--version", "version":
		fmt.Fprintln(stdout, "livcctl", version)
		return 0
	default:
		fmt.Fprintf(stderr, "livcctl: unknown command %q\n\n%s", args[0], usageText)
		return 2
	}
	switch e := err.(type) {
	case nil:
		return 0
	case usageError:
		fmt.Fprintf(stderr, "livcctl %s: %v\n", args[0], e.error)
		return 2
	case helpShown:
		return 0
	default:
		fmt.Fprintf(stderr, "livcctl %s: %v\n", args[0], err)
		return 1
	}
}

// cliEnv is what a command may use.
type cliEnv struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
}

type usageError struct{ error }

type helpShown struct{}

func (helpShown) Error() string { return "help shown" }
