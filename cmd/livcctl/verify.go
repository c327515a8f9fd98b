package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

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

// cmdAuditVerify replays the whole log here, checking every entry's hash and
// the tree against every signed checkpoint (each verified with the key); with
// --checkpoint it first proves that today's log extends the saved one.
func cmdAuditVerify(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	saved := fs.String("checkpoint", "", "a signed checkpoint `FILE` saved earlier (livcctl audit checkpoint -o)")
	keyFlag := fs.String("key", "", "the checkpoint verifier `KEY` (env LIVC_CHECKPOINT_KEY); default the broker's, from /v1/keys")
	quiet := fs.Bool("q", false, "no progress")
	bar := fs.Bool("progress", false, "draw the progress bar even when standard error is not a terminal")
	logFile := fs.String("log", "", "verify offline an exported log `FILE` (livcctl audit export, from 0; - for standard input) instead of asking the broker; needs --key")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *logFile != "" && *keyFlag == "" && os.Getenv("LIVC_CHECKPOINT_KEY") == "" {
		return usageError{errors.New("verify --log works offline: give the verifier key (--key or LIVC_CHECKPOINT_KEY)")}
	}
	key, err := checkpointKey(env, &cf, *keyFlag)
	if err != nil {
		return err
	}
	if *saved != "" && *keyFlag == "" && os.Getenv("LIVC_CHECKPOINT_KEY") == "" {
		fmt.Fprint(env.stderr, keyWarning)
	}
	var cps []auditlog.Checkpoint
	var problem *auditlog.Problem
	var old *auditlog.Checkpoint
	if *saved != "" {
		b, err := os.ReadFile(*saved)
		if err != nil {
			return err
		}
		cp, err := auditlog.Open(b, key, "")
		if err != nil {
			return errNotVerified{&auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
				Detail: fmt.Sprintf("the saved checkpoint %s does not verify with the key: %v", *saved, err)}}
		}
		old = &cp
		cps = append(cps, cp)
	}
	if *logFile != "" {
		return verifyExport(env, *logFile, key, old, cps)
	}
	// The latest checkpoint, fresh, and every one kept.
	note, _, err := cf.call(env, "GET", "/v1/audit/checkpoint?fresh=1", "", nil, true)
	if err != nil {
		// The broker refuses to sign a log that does not extend its last
		// checkpoint: check against the last one it did sign.
		fmt.Fprintf(env.stderr, "the broker signs no fresh checkpoint (%v); checking against its last one\n", err)
		if note, _, err = cf.call(env, "GET", "/v1/audit/checkpoint", "", nil, true); err != nil {
			return err
		}
	}
	latest, err := auditlog.Open(note, key, "")
	if err != nil {
		return errNotVerified{&auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1, Detail: "the broker's latest checkpoint does not verify with the key"}}
	}
	if old != nil && old.Origin != latest.Origin {
		return fmt.Errorf("the saved checkpoint is of %s, the broker's log is %s", old.Origin, latest.Origin)
	}
	cps = append(cps, latest)
	body, _, err := cf.call(env, "GET", "/v1/audit/checkpoints", "", nil, true)
	if err != nil {
		return err
	}
	var kept struct{ Items []string }
	if err := json.Unmarshal(body, &kept); err != nil {
		return err
	}
	for i, n := range kept.Items {
		cp, err := auditlog.Open([]byte(n), key, latest.Origin)
		if err != nil {
			if problem == nil {
				problem = &auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
					Detail: fmt.Sprintf("checkpoint %d kept by the broker does not verify with the key: forged", i)}
			}
			continue
		}
		cps = append(cps, cp)
	}
	if old != nil {
		if p := consistency(env, &cf, key, *old, latest); p != nil && problem == nil {
			problem = p
		}
	}
	// Replay everything: the first bad entry wins over any other finding.
	// Pinned to latest: entries past it are covered by no signature.
	r := auditlog.NewReplayer(cps)
	prog := newProgress(env.stderr, latest.Size, *quiet, *bar)
	var rp *auditlog.Problem
	for next := int64(0); rp == nil; {
		x, err := fetchExport(env, &cf, next, broker.MaxLimit, latest.Size, false)
		if err != nil {
			return err
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
	if rp != nil {
		problem = rp
	}
	return verdict(env, problem, r.Size(), len(cps), latest.Origin, old)
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
