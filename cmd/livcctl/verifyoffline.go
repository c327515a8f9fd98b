package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// maxExportLine bounds one line of an export file (an entry with its proof).
const maxExportLine = 1 << 20

// verifyExport checks, with only the verifier key and no broker, a log
// exported whole by livcctl audit export: its first line the checkpoint the
// export was made under, then every entry from index 0 with its inclusion
// proof. It replays every entry (each leaf hash, the order, the tree against
// the export's checkpoint and against the saved one in cps), checks each
// proof that is given against the export's checkpoint, refuses any entry
// past that checkpoint (no signature covers it), and requires the export to
// reach the checkpoint: so with --checkpoint it proves that the exported log
// extends the saved one.
func verifyExport(env *cliEnv, name, key string, old *auditlog.Checkpoint, cps []auditlog.Checkpoint) error {
	var in io.Reader = env.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
	latest, err := exportCheckpoint(sc, name, key)
	if err != nil {
		return err
	}
	if old != nil && old.Origin != latest.Origin {
		return fmt.Errorf("the saved checkpoint is of %s, the export of %s", old.Origin, latest.Origin)
	}
	var problem *auditlog.Problem
	if old != nil && latest.Size < old.Size {
		problem = &auditlog.Problem{Kind: auditlog.ProblemTruncated, Index: latest.Size,
			Detail: fmt.Sprintf("the export's checkpoint covers %d entries; the saved one %d", latest.Size, old.Size)}
	}
	cps = append(cps, latest)
	r := auditlog.NewReplayer(cps)
	if problem == nil {
		if problem, err = replayExport(sc, name, r, latest); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if problem == nil {
		problem = r.Finish()
	}
	return verdict(env, problem, r.Size(), len(cps), latest.Origin, old)
}

// exportCheckpoint reads the first line of an export, the checkpoint it was
// made under, and verifies it with key.
func exportCheckpoint(sc *bufio.Scanner, name, key string) (auditlog.Checkpoint, error) {
	if !sc.Scan() {
		return auditlog.Checkpoint{}, fmt.Errorf("%s: empty, or its first line is too long: %v", name, sc.Err())
	}
	var head struct {
		Checkpoint string `json:"checkpoint"`
	}
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.Checkpoint == "" {
		return auditlog.Checkpoint{}, fmt.Errorf("%s: the first line is not the export's checkpoint", name)
	}
	latest, err := auditlog.Open([]byte(head.Checkpoint), key, "")
	if err != nil {
		return auditlog.Checkpoint{}, errNotVerified{&auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
			Detail: "the export's checkpoint does not verify with the key"}}
	}
	return latest, nil
}

// replayExport replays the entry lines of an export into r, up to the
// first problem; an error is an export that does not start at entry 0.
func replayExport(sc *bufio.Scanner, name string, r *auditlog.Replayer, latest auditlog.Checkpoint) (*auditlog.Problem, error) {
	for line := 2; sc.Scan(); line++ {
		var it broker.ExportedEntry
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return &auditlog.Problem{Kind: auditlog.ProblemCorrupt, Index: r.Size(), Detail: fmt.Sprintf("line %d is not an exported entry", line)}, nil
		}
		if it.Index != r.Size() {
			if r.Size() == 0 {
				return nil, fmt.Errorf("%s starts at entry %d: verify --log needs the whole log (livcctl audit export, from 0)", name, it.Index)
			}
			return &auditlog.Problem{Kind: auditlog.ProblemMissing, Index: r.Size(),
				Detail: fmt.Sprintf("line %d holds entry %d where entry %d belongs", line, it.Index, r.Size())}, nil
		}
		if it.Index >= latest.Size {
			// No signature covers it: an edited tail with a recomputed leaf
			// hash would pass the replay.
			return &auditlog.Problem{Kind: auditlog.ProblemUnproven, Index: it.Index,
				Detail: fmt.Sprintf("line %d holds entry %d, past the %d entries the export's checkpoint covers", line, it.Index, latest.Size)}, nil
		}
		if problem := r.Add(it.Entry, it.LeafHash); problem != nil {
			return problem, nil
		}
		if len(it.Proof) > 0 {
			if problem := checkInclusion(it, latest); problem != nil {
				return problem, nil
			}
		}
	}
	return nil, nil
}

// checkInclusion checks an exported entry's proof in the export's tree.
func checkInclusion(it broker.ExportedEntry, cp auditlog.Checkpoint) *auditlog.Problem {
	proof, err := auditlog.DecodeProof(it.Proof)
	if err == nil && it.Index < cp.Size {
		err = tlog.CheckRecord(proof, cp.Size, cp.Hash, it.Index, auditlog.LeafHash(it.Entry))
	}
	if err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemTree, Index: it.Index, Until: it.Index + 1,
			Detail: "the entry's inclusion proof does not lead to the export's checkpoint"}
	}
	return nil
}
