// Command livc-broker is the need-to-know information broker of a Local
// Integrated Security Cell (LIVC-R). `livc-broker serve` runs it; see
// docs/api.md for the contract and README.md for a walkthrough.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `livc-broker: a need-to-know information broker for a Local Integrated Security Cell

Usage:
  livc-broker serve [flags]    run the broker (flags: livc-broker serve -h)
  livc-broker check --config FILE...  validate the cells' configuration and policy as serve would, start nothing
  livc-broker keys init        create production keys in an empty directory (livc-broker keys init -h)
  livc-broker keys rotate      add a key-encryption key, re-wrap every data key (livc-broker keys -h)
  livc-broker keys status      what the data keys are wrapped under
  livc-broker probe URL        exit 0 if URL (the broker's /readyz) answers 200: a health check without a shell
  livc-broker version          print the version (or --version)

`

// Main runs the command line with args and returns the exit code. It returns
// when ctx is cancelled (SIGINT, SIGTERM), after a graceful shutdown.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "serve":
		c, err := parseServe(args[1:], func(fs *flag.FlagSet) {
			fmt.Fprintf(stderr, "Usage: livc-broker serve [flags]\n\nEvery flag also reads from the environment variable named with it.\n\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		})
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "livc-broker serve: %v\n", err)
			return 2
		}
		if err := serve(ctx, c, stderr); err != nil {
			fmt.Fprintf(stderr, "livc-broker: %v\n", err)
			return 1
		}
		return 0
	case "keys":
		if len(args) > 1 && args[1] == "init" {
			return keysInitMain(args[2:], stdout, stderr)
		}
		sub, kc, err := parseKeys(args[1:], helpTo(args, stdout, stderr))
		if errors.Is(err, flag.ErrHelp) && len(args) > 1 {
			return 0 // asked for: keys -h
		}
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "livc-broker keys: %v\n", err)
			return 2
		}
		if err := runKeys(ctx, sub, kc, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "livc-broker keys %s: %v\n", sub, err)
			return 1
		}
		return 0
	case "check":
		return checkMain(ctx, args[1:], stdout, stderr)
	case "probe":
		return probeMain(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "livc-broker", version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "livc-broker: unknown command %q\n\n%s", args[0], usageText)
		return 2
	}
}

var version = "dev"

// isHelp tells whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// helpTo is where usage goes: stdout when args ask for help (it is the
// answer, to page or grep), stderr when it comes with a usage error.
func helpTo(args []string, stdout, stderr io.Writer) io.Writer {
	for _, a := range args {
		if isHelp(a) {
			return stdout
		}
	}
	return stderr
}

// keysInitMain runs `livc-broker keys init` and returns its exit code.
func keysInitMain(args []string, stdout, stderr io.Writer) int {
	dir, err := parseKeysInit(args, helpTo(args, stdout, stderr))
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "livc-broker keys init: %v\n", err)
		return 2
	}
	if err := keysInit(dir, stdout); err != nil {
		fmt.Fprintf(stderr, "livc-broker keys init: %v\n", err)
		return 1
	}
	return 0
}
