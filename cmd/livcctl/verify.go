package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// keyWarning is printed when a saved checkpoint is checked with the key the
// broker itself publishes: a broker that swapped its key could pass.
const keyWarning = `WARNING: no --key (or LIVC_CHECKPOINT_KEY) given: the checkpoint key is the one
WARNING: the broker publishes today (GET /v1/keys), so this proof trusts the broker.
WARNING: pass the key you saved with the checkpoint to check it independently.
`

// errNotVerified is returned when the log does not verify; the problem has
// been printed.
type errNotVerified struct{ p *auditlog.Problem }

func (e errNotVerified) Error() string { return "the audit log does NOT verify: " + e.p.Error() }

// auditVerifyFlags are the flags of livcctl audit verify.
type auditVerifyFlags struct {
	saved, key, logFile string
	noProgress, bar     bool
	witnesses           []string      // witness verifier keys counted towards quorum (witness.go)
	quorum              int           // cosignatures the checkpoint needs
	quorumWait          time.Duration // how long to wait for a cosigned checkpoint
	tiles               bool          // read tlog-tiles, only what is new (verifytiles.go)
	state               string        // the state file of --tiles
}

// newAuditVerifyCmd: livcctl audit verify replays the whole log here,
// checking every entry's hash and the tree against every signed checkpoint
// (each verified with the key); with --checkpoint it first proves that
// today's log extends the saved one; with --log it checks an export
// offline.
func newAuditVerifyCmd(env *cliEnv) *cobra.Command {
	var vf auditVerifyFlags
	cmd := &cobra.Command{
		Use:   "verify [--checkpoint FILE] [--key KEY] [--log EXPORT] [--witness KEY... --quorum N]",
		Short: "replay the whole log against the signed checkpoints; with --checkpoint, prove today's log extends the saved one; with --log, check an export offline (no broker)",
		Long: `Replay the whole audit log here, up to the latest signed checkpoint, checking every
entry's hash and the tree against every checkpoint the broker keeps, each verified with
the verifier key. With --checkpoint FILE, also prove that today's log extends the saved
checkpoint. With --log EXPORT, check an export (livcctl audit export, from 0) offline,
with no broker: it needs --key. With --quorum N, refuse a checkpoint without N valid
cosignatures of the --witness keys, naming the witnesses missing. Prints one JSON line: {"ok": true, ...} or the problem
(exit 1).`,
		Args: exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error { return auditVerify(env, cf, vf) }
	f := cmd.Flags()
	f.StringVar(&vf.saved, "checkpoint", "", "a signed checkpoint `FILE` saved earlier (livcctl audit checkpoint --write)")
	f.StringVar(&vf.key, "key", "", "the checkpoint verifier `KEY` (env LIVC_CHECKPOINT_KEY); default the broker's, from /v1/keys")
	f.BoolVar(&vf.noProgress, "no-progress", false, "draw no progress on standard error")
	f.BoolVar(&vf.bar, "progress", false, "draw the progress bar even when standard error is not a terminal")
	f.StringArrayVar(&vf.witnesses, "witness", nil, "a witness's verifier `KEY` (cosignature/v1) to count towards --quorum; repeat")
	f.IntVar(&vf.quorum, "quorum", 0, "refuse a checkpoint without `N` valid cosignatures of the --witness keys")
	f.DurationVar(&vf.quorumWait, "quorum-wait", 30*time.Second, "how long to wait for a checkpoint the quorum cosigned (a new one is cosigned within moments)")
	f.BoolVar(&vf.tiles, "tiles", false, "read the log as tlog-tiles, checking only what is new since the checkpoint verified last (kept in --state)")
	f.StringVar(&vf.state, "state", "", "with --tiles, the state `FILE` (the last checkpoint verified); default in the user's cache directory")
	f.StringVar(&vf.logFile, "log", "", "verify offline an exported log `FILE` (livcctl audit export, from 0; - for standard input) instead of asking the broker; needs --key")
	return cmd
}

// auditVerify runs livcctl audit verify.
func auditVerify(env *cliEnv, cf *clientFlags, vf auditVerifyFlags) error {
	if vf.tiles {
		return auditVerifyTiles(env, cf, vf)
	}
	ownKey := vf.key != "" || os.Getenv("LIVC_CHECKPOINT_KEY") != ""
	if vf.logFile != "" && !ownKey {
		return usageError{errors.New("verify --log works offline: give the verifier key (--key or LIVC_CHECKPOINT_KEY)")}
	}
	key, err := checkpointKey(env, cf, vf.key)
	if err != nil {
		return err
	}
	if vf.saved != "" && !ownKey {
		fmt.Fprint(env.stderr, keyWarning)
	}
	old, err := savedCheckpoint(vf.saved, key)
	if err != nil {
		return err
	}
	var cps []auditlog.Checkpoint
	if old != nil {
		cps = append(cps, *old)
	}
	if vf.logFile != "" {
		return verifyExport(env, vf.logFile, key, old, cps)
	}
	var latest auditlog.Checkpoint
	if vf.quorum > 0 || len(vf.witnesses) > 0 { // witness.go
		latest, err = witnessedCheckpoint(env, cf, key, vf.witnesses, vf.quorum, vf.quorumWait)
	} else {
		latest, err = latestCheckpoint(env, cf, key)
	}
	if err != nil {
		return err
	}
	if old != nil && old.Origin != latest.Origin {
		return fmt.Errorf("the saved checkpoint is of %s, the broker's log is %s", old.Origin, latest.Origin)
	}
	kept, problem, err := keptCheckpoints(env, cf, key, latest.Origin)
	if err != nil {
		return err
	}
	cps = append(append(cps, latest), kept...)
	if old != nil {
		if p := consistency(env, cf, key, *old, latest); p != nil && problem == nil {
			problem = p
		}
	}
	size, rp, err := replayLog(env, cf, cps, latest, newProgress(env.stderr, latest.Size, vf.noProgress, vf.bar))
	if err != nil {
		return err
	}
	if rp != nil { // the first bad entry wins over any other finding
		problem = rp
	}
	return verdict(env, problem, size, len(cps), latest.Origin, old)
}

// savedCheckpoint opens the checkpoint saved in file with key; nil when no
// file is given.
func savedCheckpoint(file, key string) (*auditlog.Checkpoint, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	cp, err := auditlog.Open(b, key, "")
	if err != nil {
		return nil, errNotVerified{&auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
			Detail: fmt.Sprintf("the saved checkpoint %s does not verify with the key: %v", file, err)}}
	}
	return &cp, nil
}

// latestCheckpoint is the broker's latest checkpoint, fresh if it signs
// one, verified with key.
func latestCheckpoint(env *cliEnv, cf *clientFlags, key string) (auditlog.Checkpoint, error) {
	note, _, err := cf.call(env, "GET", "/v1/audit/checkpoint?fresh=1", "", nil, true)
	if err != nil {
		// The broker refuses to sign a log that does not extend its last
		// checkpoint: check against the last one it did sign.
		fmt.Fprintf(env.stderr, "the broker signs no fresh checkpoint (%v); checking against its last one\n", err)
		if note, _, err = cf.call(env, "GET", "/v1/audit/checkpoint", "", nil, true); err != nil {
			return auditlog.Checkpoint{}, err
		}
	}
	latest, err := auditlog.Open(note, key, "")
	if err != nil {
		return auditlog.Checkpoint{}, errNotVerified{&auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1, Detail: "the broker's latest checkpoint does not verify with the key"}}
	}
	return latest, nil
}

// keptCheckpoints are the checkpoints the broker keeps that verify with
// key; the problem names the first that does not (a forgery).
func keptCheckpoints(env *cliEnv, cf *clientFlags, key, origin string) ([]auditlog.Checkpoint, *auditlog.Problem, error) {
	body, _, err := cf.call(env, "GET", "/v1/audit/checkpoints", "", nil, true)
	if err != nil {
		return nil, nil, err
	}
	var kept struct{ Items []string }
	if err := json.Unmarshal(body, &kept); err != nil {
		return nil, nil, err
	}
	var cps []auditlog.Checkpoint
	var problem *auditlog.Problem
	for i, n := range kept.Items {
		cp, err := auditlog.Open([]byte(n), key, origin)
		if err != nil {
			if problem == nil {
				problem = &auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
					Detail: fmt.Sprintf("checkpoint %d kept by the broker does not verify with the key: forged", i)}
			}
			continue
		}
		cps = append(cps, cp)
	}
	return cps, problem, nil
}

// replayLog replays every entry of the broker's log against cps, pinned to
// latest (entries past it are covered by no signature), and returns the
// size replayed and the first problem.
func replayLog(env *cliEnv, cf *clientFlags, cps []auditlog.Checkpoint, latest auditlog.Checkpoint, prog *progress) (int64, *auditlog.Problem, error) {
	r := auditlog.NewReplayer(cps)
	var rp *auditlog.Problem
	for next := int64(0); rp == nil; {
		x, err := fetchExport(env, cf, next, broker.MaxLimit, latest.Size, false)
		if err != nil {
			return 0, nil, err
		}
		for _, it := range x.Items {
			if rp = r.Add(it.Entry, it.LeafHash); rp != nil {
				break
			}
		}
		prog.show(r.Size())
		if x.Next == 0 || len(x.Items) == 0 {
			break
		}
		next = x.Next
	}
	prog.done()
	if rp == nil {
		rp = r.Finish()
	}
	return r.Size(), rp, nil
}

// verdict prints the outcome of a verification as one JSON line: ok with
// the size, the number of checkpoints and what the saved one covers, or the
// problem (and then returns errNotVerified).
func verdict(env *cliEnv, problem *auditlog.Problem, size int64, checkpoints int, origin string, old *auditlog.Checkpoint) error {
	if problem != nil {
		out, _ := json.Marshal(map[string]any{"ok": false, "problem": problem})
		fmt.Fprintf(env.stdout, "%s\n", out)
		return errNotVerified{problem}
	}
	msg := map[string]any{"ok": true, "size": size, "checkpoints": checkpoints, "origin": origin}
	if old != nil {
		msg["extends"] = old.Size
	}
	out, _ := json.Marshal(msg)
	fmt.Fprintf(env.stdout, "%s\n", out)
	return nil
}

// consistency asks the broker for the proof that latest extends old and
// checks it here.
func consistency(env *cliEnv, cf *clientFlags, key string, old, latest auditlog.Checkpoint) *auditlog.Problem {
	if latest.Size < old.Size {
		return &auditlog.Problem{Kind: auditlog.ProblemTruncated, Index: latest.Size,
			Detail: fmt.Sprintf("the log has %d entries; the saved checkpoint covers %d", latest.Size, old.Size)}
	}
	body, _, err := cf.call(env, "GET", "/v1/audit/proof?from="+strconv.FormatInt(old.Size, 10), "", nil, true)
	if err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemInconsistent, Detail: "no consistency proof: " + err.Error()}
	}
	var cp broker.ConsistencyProof
	if err := json.Unmarshal(body, &cp); err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemInconsistent, Detail: "bad consistency proof"}
	}
	proof, err := auditlog.DecodeProof(cp.Proof)
	if err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemInconsistent, Detail: "bad consistency proof"}
	}
	// The proof is to the checkpoint it came with, which may be newer than
	// latest; it must verify with the key too.
	newer, err := auditlog.Open([]byte(cp.Checkpoint), key, latest.Origin)
	if err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1, Detail: "the checkpoint of the consistency proof does not verify with the key"}
	}
	return auditlog.CheckConsistency(old, newer, proof)
}
