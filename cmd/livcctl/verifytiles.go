package main

import (
	"flag"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/auditclient"
)

// cmdAuditVerifyTiles is `audit verify --tiles`: the log read as
// tlog-tiles, only what is new since the checkpoint verified last (kept in
// the state file), by internal/auditclient.
func cmdAuditVerifyTiles(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit verify --tiles", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	fs.Bool("tiles", true, "read the log as tlog-tiles, checking only what is new since the last run")
	state := fs.String("state", "", "the state `FILE` (last checkpoint verified); default in the user's cache directory")
	keyFlag := fs.String("key", "", "the checkpoint verifier `KEY` (env LIVC_CHECKPOINT_KEY); default the broker's, from /v1/keys")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	key, err := checkpointKey(env, &cf, *keyFlag)
	if err != nil {
		return err
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fmt.Errorf("the checkpoint key: %w", err)
	}
	tok, err := cf.token()
	if err != nil {
		return err
	}
	if *state == "" {
		if *state, err = auditclient.StatePath(cf.broker); err != nil {
			return err
		}
	}
	st, err := auditclient.LoadState(*state)
	if err != nil {
		return err
	}
	f := &auditclient.HTTP{Broker: cf.broker, Token: tok, Purpose: cf.purpose, Client: httpClient}
	res, err := auditclient.Verify(env.ctx, f, v, st)
	if err != nil {
		return fmt.Errorf("the audit log does NOT verify: %w", err)
	}
	if err := auditclient.SaveState(*state, st); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "audit log %s verified: entries %d to %d checked (%d tiles and bundles read); checkpoint kept in %s\n",
		res.Origin, res.From, res.Size, res.Fetched, *state)
	return nil
}
