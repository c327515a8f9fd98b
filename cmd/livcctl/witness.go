package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/witness"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cmdWitness runs an outside witness of the broker's logs: keygen, serve
// (internal/witness).
func cmdWitness(env *cliEnv, args []string) error {
	if len(args) == 0 || isHelp(args[0]) || (args[0] != "keygen" && args[0] != "serve") {
		return groupHelp(env, "witness")
	}
	fs := flag.NewFlagSet("witness "+args[0], flag.ContinueOnError)
	name := fs.String("name", "", "keygen: the witness's `NAME`, e.g. witness.coc.example")
	key := fs.String("key", "", "the signing key `FILE` (keygen writes it, mode 0600; serve reads it)")
	c := witness.ServeConf{Logger: slog.New(slog.NewJSONHandler(env.stderr, nil))}
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8090", "serve: `ADDR` of POST /add-checkpoint")
	fs.StringVar(&c.State, "state", "", "serve: the witness's state `FILE`")
	fs.Var((*listFlag)(&c.Logs), "log", "serve: a log to witness, `ORIGIN=VERIFIERKEY` (livc-broker/audit/<cell>=the broker's checkpoint key); repeat")
	if err := parseFlags(fs, env, args[1:]); err != nil {
		return err
	}
	if args[0] == "keygen" {
		vkey, err := witness.Keygen(rand.Reader, *name, *key)
		if err == nil {
			fmt.Fprintln(env.stdout, vkey)
		}
		return err
	}
	c.KeyFile = *key
	err := witness.ServeFiles(env.ctx, c)
	if errors.Is(err, witness.ErrUsage) {
		return usageError{err}
	}
	return err
}

// witnessedCheckpoint is the broker's latest checkpoint once quorum of the
// witness keys wkeys cosigned it (witness.AwaitQuorum); a refusal naming
// the witnesses missing or invalid otherwise.
func witnessedCheckpoint(env *cliEnv, cf *clientFlags, key string, wkeys []string, quorum int, wait time.Duration) (auditlog.Checkpoint, error) {
	signed, names, err := witness.AwaitQuorum(func() ([]byte, error) {
		b, _, err := cf.call(env, "GET", "/v1/audit/checkpoint", "", nil, true)
		return b, err
	}, key, wkeys, quorum, wait)
	var qe *witness.QuorumError
	if errors.As(err, &qe) {
		return auditlog.Checkpoint{}, verdict(env, &auditlog.Problem{Kind: "witness_quorum", Index: -1, Detail: err.Error()}, 0, 0, "", nil)
	}
	if errors.Is(err, witness.ErrBadQuorum) {
		return auditlog.Checkpoint{}, usageError{err}
	}
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	fmt.Fprintf(env.stderr, "checkpoint cosigned by %s\n", strings.Join(names, ", "))
	return auditlog.Open(signed, key, "")
}
