package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/witness"
)

// newWitnessCmd is the group of an outside witness of the broker's logs
// (internal/witness): keygen, serve.
func newWitnessCmd(env *cliEnv) *cobra.Command {
	return group(env, "witness", "run an outside witness of a cell's audit log (C2SP tlog-witness)",
		[]func(*cliEnv) *cobra.Command{newWitnessKeygenCmd, newWitnessServeCmd})
}

// newWitnessKeygenCmd writes a witness's signing key and prints its
// verifier key.
func newWitnessKeygenCmd(env *cliEnv) *cobra.Command {
	var name, key string
	cmd := &cobra.Command{
		Use:   "keygen --name NAME --key FILE",
		Short: "make a witness's signing key (mode 0600) and print its verifier key (cosignature/v1)",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			vkey, err := witness.Keygen(rand.Reader, name, key)
			if errors.Is(err, witness.ErrUsage) {
				return usageError{err}
			}
			if err == nil {
				_, err = fmt.Fprintln(env.stdout, vkey)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the witness's `NAME`, e.g. witness.coc.example")
	cmd.Flags().StringVar(&key, "key", "", "the signing key `FILE` to write (mode 0600; refuses to overwrite)")
	return cmd
}

// newWitnessServeCmd runs a witness: POST /add-checkpoint, its state in a
// file of its own.
func newWitnessServeCmd(env *cliEnv) *cobra.Command {
	c := witness.ServeConf{Logger: slog.New(slog.NewJSONHandler(env.stderr, nil))}
	cmd := &cobra.Command{
		Use:   "serve --state FILE --key FILE --log ORIGIN=KEY... [--listen ADDR]",
		Short: "run a witness that cosigns the broker's checkpoints only while they extend what it cosigned before",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			err := witness.ServeFiles(env.ctx, c)
			if errors.Is(err, witness.ErrUsage) {
				return usageError{err}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.KeyFile, "key", "", "the witness's signing key `FILE` (livcctl witness keygen)")
	f.StringVar(&c.Listen, "listen", "127.0.0.1:8090", "`ADDR` of POST /add-checkpoint")
	f.StringVar(&c.State, "state", "", "the witness's state `FILE`: what it cosigned of each log")
	f.StringArrayVar(&c.Logs, "log", nil, "a log to witness, `ORIGIN=VERIFIERKEY` (livc-broker/audit/<cell>=the broker's checkpoint key); repeat")
	return cmd
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
