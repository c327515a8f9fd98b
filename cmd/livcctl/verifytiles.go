package main

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/internal/auditclient"
)

// auditVerifyTiles is `audit verify --tiles`: the log read as tlog-tiles,
// only what is new since the checkpoint verified last (kept in the state
// file), by internal/auditclient.
func auditVerifyTiles(env *cliEnv, cf *clientFlags, vf auditVerifyFlags) error {
	base, err := brokerURL(cf.g.broker)
	if err != nil {
		return err
	}
	key, err := checkpointKey(env, cf, vf.key)
	if err != nil {
		return err
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fmt.Errorf("the checkpoint key: %w", err)
	}
	tok, err := cf.token(env.ctx)
	if err != nil {
		return err
	}
	hc, err := cf.httpClient()
	if err != nil {
		return err
	}
	state := vf.state
	if state == "" {
		if state, err = auditclient.StatePath(base.String()); err != nil {
			return err
		}
	}
	st, err := auditclient.LoadState(state)
	if err != nil {
		return err
	}
	f := &auditclient.HTTP{Broker: base.String(), Token: tok, Purpose: cf.purpose, Client: hc}
	res, err := auditclient.Verify(env.ctx, f, v, st)
	if err != nil {
		return fmt.Errorf("the audit log does NOT verify: %w", err)
	}
	if err := auditclient.SaveState(state, st); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "audit log %s verified: entries %d to %d checked (%d tiles and bundles read); checkpoint kept in %s\n",
		res.Origin, res.From, res.Size, res.Fetched, state)
	return err
}
