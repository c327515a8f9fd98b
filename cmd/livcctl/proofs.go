package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// The audit log's alerts, kept checkpoints, proofs and the broker's own
// replay: livcctl audit alerts, checkpoints, proof, broker-verify.

// newAuditAlertsCmd: livcctl audit alerts (GET /v1/audit/alerts).
func newAuditAlertsCmd(env *cliEnv) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "the alerts of a time window (default the last 24 hours), each with the audit ids of its entries",
		Long: `The alerts of a time window (GET /v1/audit/alerts), by default the last 24 hours:
many_persons, outside_roster, repeated_denials and failed_logins, each with the audit ids of
its entries. An alert names who and what, never a field value.`,
		Args: exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error {
		q := url.Values{}
		if from != "" {
			q.Set("from", from)
		}
		if to != "" {
			q.Set("to", to)
		}
		return cf.get(env, withQuery("/v1/audit/alerts", q))
	}
	cmd.Flags().StringVar(&from, "from", "", "the window's start, an RFC 3339 `TIME` (default 24 hours before --to)")
	cmd.Flags().StringVar(&to, "to", "", "the window's end, an RFC 3339 `TIME` (default now)")
	return cmd
}

// newAuditCheckpointsCmd: livcctl audit checkpoints (GET
// /v1/audit/checkpoints).
func newAuditCheckpointsCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoints",
		Short: "every signed checkpoint the broker keeps, oldest first",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error { return cf.get(env, "/v1/audit/checkpoints") }
	return cmd
}

// newAuditProofCmd: livcctl audit proof --id AUDIT_ID (inclusion) or
// --from N (consistency), each checked here.
func newAuditProofCmd(env *cliEnv) *cobra.Command {
	var id, key, saved string
	var from int64
	cmd := &cobra.Command{
		Use:   "proof (--id AUDIT_ID | --checkpoint FILE | --from N)",
		Short: "prove one entry is in the log (inclusion), or that the log extends a saved checkpoint (consistency); checked here",
		Long: `Ask the broker for a proof and check it here with the checkpoint verifier key.

--id AUDIT_ID (an X-Audit-Id anyone can quote): the inclusion proof of that entry in the
tree of a signed checkpoint (GET /v1/audit/proof?id=).
--checkpoint FILE: the consistency proof that today's log extends the saved checkpoint
(GET /v1/audit/proof?from=its size). --from N asks the proof from the tree of size N; with
no saved tree to check it against, it is printed unchecked.

Prints the proof's JSON with "verified": true, or fails (exit 1) when it does not check.`,
		Args: exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		n := 0
		for _, set := range []bool{id != "", saved != "", c.Flags().Changed("from")} {
			if set {
				n++
			}
		}
		if n != 1 {
			return usageError{errors.New("proof takes one of --id, --checkpoint or --from")}
		}
		k, err := checkpointKey(env, cf, key)
		if err != nil {
			return err
		}
		if id != "" {
			return inclusionProof(env, cf, k, id)
		}
		return consistencyProof(env, cf, k, saved, from)
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "the audit id (`AUDIT_ID`, aud_…, an X-Audit-Id) of the entry to prove")
	f.StringVar(&saved, "checkpoint", "", "a signed checkpoint `FILE` saved earlier (livcctl audit checkpoint --write)")
	f.Int64Var(&from, "from", 0, "the tree `SIZE` to prove consistency from (printed unchecked)")
	f.StringVar(&key, "key", "", "the checkpoint verifier `KEY` (env LIVC_CHECKPOINT_KEY); default the broker's, from /v1/keys")
	return cmd
}

// inclusionProof fetches and checks the inclusion proof of audit entry id.
func inclusionProof(env *cliEnv, cf *clientFlags, key, id string) error {
	body, _, err := cf.call(env, "GET", "/v1/audit/proof?id="+url.QueryEscape(id), "", nil, true)
	if err != nil {
		return err
	}
	var p broker.InclusionProof
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("the inclusion proof: %w", err)
	}
	cp, err := auditlog.Open([]byte(p.Checkpoint), key, "")
	if err != nil {
		return errors.New("the checkpoint of the inclusion proof does not verify with the key")
	}
	proof, err := auditlog.DecodeProof(p.Proof)
	if err == nil {
		err = tlog.CheckRecord(proof, cp.Size, cp.Hash, p.Index, auditlog.LeafHash(p.Entry))
	}
	if err != nil {
		return fmt.Errorf("entry %s is NOT proved in the log of %d entries: %v", id, cp.Size, err)
	}
	return env.emitValue(map[string]any{"verified": true, "index": p.Index, "size": cp.Size,
		"origin": cp.Origin, "entry": p.Entry, "leaf_hash": p.LeafHash, "proof": p.Proof})
}

// consistencyProof fetches the consistency proof from the saved checkpoint
// (or the size from) and checks it when there is a saved checkpoint.
func consistencyProof(env *cliEnv, cf *clientFlags, key, saved string, from int64) error {
	if saved == "" {
		return cf.get(env, "/v1/audit/proof?from="+strconv.FormatInt(from, 10))
	}
	b, err := os.ReadFile(saved)
	if err != nil {
		return err
	}
	old, err := auditlog.Open(b, key, "")
	if err != nil {
		return fmt.Errorf("the saved checkpoint %s does not verify with the key", saved)
	}
	body, _, err := cf.call(env, "GET", "/v1/audit/proof?from="+strconv.FormatInt(old.Size, 10), "", nil, true)
	if err != nil {
		return err
	}
	var p broker.ConsistencyProof
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("the consistency proof: %w", err)
	}
	newer, err := auditlog.Open([]byte(p.Checkpoint), key, old.Origin)
	if err != nil {
		return errors.New("the checkpoint of the consistency proof does not verify with the key")
	}
	proof, err := auditlog.DecodeProof(p.Proof)
	if err != nil {
		return errors.New("the consistency proof does not decode")
	}
	if problem := auditlog.CheckConsistency(old, newer, proof); problem != nil {
		return fmt.Errorf("the log does NOT extend the saved checkpoint: %s", problem.Error())
	}
	return env.emitValue(map[string]any{"verified": true, "from": old.Size, "size": newer.Size,
		"origin": newer.Origin, "proof": p.Proof})
}

// newAuditBrokerVerifyCmd: livcctl audit broker-verify (GET
// /v1/audit/verify): the broker replays its own log.
func newAuditBrokerVerifyCmd(env *cliEnv) *cobra.Command {
	var since int64
	cmd := &cobra.Command{
		Use:   "broker-verify",
		Short: "ask the broker to replay its own log against its kept checkpoints (trusts the broker; audit verify does not)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error {
		body, _, err := cf.call(env, "GET", "/v1/audit/verify?since="+strconv.FormatInt(since, 10), "", nil, true)
		if err != nil {
			return err
		}
		var v struct {
			OK bool `json:"ok"`
		}
		if err := env.emit(body); err != nil {
			return err
		}
		if json.Unmarshal(body, &v) != nil || !v.OK {
			return errors.New("the broker says its audit log does NOT verify")
		}
		return nil
	}
	cmd.Flags().Int64Var(&since, "since", 0, "also prove the log extends the tree of this `SIZE`")
	return cmd
}
