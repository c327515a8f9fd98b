package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/witness"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cmdWitness runs a tlog-witness for the broker's logs (internal/witness):
// serve, or keygen.
func cmdWitness(env *cliEnv, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		return groupHelp(env, "witness")
	}
	fs := flag.NewFlagSet("witness "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "keygen":
		name := fs.String("name", "", "the witness's `NAME` (a host name of its operator, e.g. witness.coc.example)")
		out := fs.String("key", "", "write the signing key to `FILE` (mode 0600, must not exist); the verifier key goes to standard output")
		if err := parseFlags(fs, env, args[1:]); err != nil {
			return err
		}
		if *name == "" || *out == "" {
			return usageError{errors.New("give --name and --key")}
		}
		skey, vkey, err := witness.GenerateKey(rand.Reader, *name)
		if err != nil {
			return err
		}
		if err := witness.WriteKey(*out, skey); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, vkey)
		return nil
	case "serve":
		listen := fs.String("listen", "127.0.0.1:8090", "`ADDR` to serve POST /add-checkpoint on")
		state := fs.String("state", "", "the witness's state `FILE` (created if missing)")
		key := fs.String("key", "", "the witness's signing key `FILE` (livcctl witness keygen)")
		var logs listFlag
		fs.Var(&logs, "log", "a log to witness, `ORIGIN=VERIFIERKEY` (livc-broker/audit/<cell> and the broker's checkpoint key); repeat")
		if err := parseFlags(fs, env, args[1:]); err != nil {
			return err
		}
		known, err := witness.ParseLogFlags(logs)
		if err != nil || *state == "" || *key == "" || len(known) == 0 {
			return usageError{errors.Join(errors.New("give --state, --key and at least one --log"), err)}
		}
		signer, err := witness.LoadSigner(*key)
		if err != nil {
			return err
		}
		log := slog.New(slog.NewJSONHandler(env.stderr, nil))
		c, err := witness.NewCosigner(witness.CosignerConf{Signer: signer, Logs: known, State: *state, Logger: log})
		if err != nil {
			return err
		}
		return witness.Serve(env.ctx, *listen, c, func(a net.Addr) { log.Info("witness listening", "addr", a.String(), "name", signer.Name()) })
	}
	return usageError{fmt.Errorf("unknown witness command %q", args[0])}
}

// witnessedCheckpoint is the broker's latest checkpoint once it carries
// valid cosignatures of quorum of the witness keys wkeys (checked by
// witness.Quorum), asked again until wait has passed; after that, a
// refusal naming the witnesses missing and invalid.
func witnessedCheckpoint(env *cliEnv, cf *clientFlags, key string, wkeys []string, quorum int, wait time.Duration) (auditlog.Checkpoint, error) {
	ws, err := witness.ParseWitnessKeys(wkeys)
	if err != nil || quorum < 1 || quorum > len(ws) {
		return auditlog.Checkpoint{}, usageError{errors.Join(errors.New("--quorum N needs at least N --witness keys, N >= 1"), err)}
	}
	logKey, err := note.NewVerifier(key)
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	for deadline := time.Now().Add(wait); ; time.Sleep(250 * time.Millisecond) {
		signed, _, err := cf.call(env, "GET", "/v1/audit/checkpoint", "", nil, true)
		if err != nil {
			return auditlog.Checkpoint{}, err
		}
		names, qerr := witness.Quorum(signed, logKey, ws, quorum)
		if qerr == nil {
			fmt.Fprintf(env.stderr, "checkpoint cosigned by %s\n", strings.Join(names, ", "))
			return auditlog.Open(signed, key, "")
		}
		if time.Now().After(deadline) {
			return auditlog.Checkpoint{}, verdict(env, &auditlog.Problem{Kind: "witness_quorum", Index: -1, Detail: qerr.Error()}, 0, 0, "", nil)
		}
	}
}
