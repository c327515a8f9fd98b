package auditlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/tlog"
)

// Kinds of Problem.
const (
	// ProblemMissing: the entry at Index is not there (deleted, or the log
	// jumps past it).
	ProblemMissing = "missing"
	// ProblemOrder: the entry at Index says it belongs elsewhere (entries
	// swapped or duplicated).
	ProblemOrder = "out_of_order"
	// ProblemLeaf: the stored leaf hash does not match the entry's bytes
	// (the entry was edited).
	ProblemLeaf = "leaf_mismatch"
	// ProblemCorrupt: the entry is not an audit entry.
	ProblemCorrupt = "corrupt"
	// ProblemTree: the entries up to a signed checkpoint do not hash to its
	// root: some entry in [Index, Until) was changed and every hash after it
	// recomputed.
	ProblemTree = "checkpoint_mismatch"
	// ProblemTruncated: the log ends at Index before the size a signed
	// checkpoint covers.
	ProblemTruncated = "truncated"
	// ProblemSignature: a checkpoint does not verify with the broker's key.
	ProblemSignature = "bad_checkpoint"
	// ProblemInconsistent: the log does not extend a saved checkpoint.
	ProblemInconsistent = "inconsistent"
	// ProblemStoredHash: the tree hashes stored next to the log (from which
	// checkpoints are signed and proofs made) do not match the entries: the
	// stored hashes of entry Index were changed, or are missing.
	ProblemStoredHash = "stored_hash_mismatch"
	// ProblemUnproven: an export holds entry Index past the checkpoint it
	// was made under, so no signature covers it.
	ProblemUnproven = "unproven"
	// ProblemWitness: the log does not extend the last checkpoint the
	// broker recorded outside the store (the log was rebuilt and its
	// checkpoints deleted).
	ProblemWitness = "witness_mismatch"
)

// Problem says what is wrong with a log and where: Index is the first bad
// entry (for ProblemTree the lower bound of where it lies, Until the upper).
type Problem struct {
	Kind   string `json:"kind"`
	Index  int64  `json:"index"`
	Until  int64  `json:"until,omitempty"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string {
	if p.Until > 0 {
		return fmt.Sprintf("%s: first bad entry in [%d, %d): %s", p.Kind, p.Index, p.Until, p.Detail)
	}
	return fmt.Sprintf("%s at entry %d: %s", p.Kind, p.Index, p.Detail)
}

// Replayer checks a log entry by entry, in log order, against a set of
// signed checkpoints. It keeps O(log n) hashes, however long the log. The
// zero value is not usable; see NewReplayer.
type Replayer struct {
	cps     []Checkpoint // by size, ascending
	next    int          // the first checkpoint not yet reached
	good    int64        // size of the last checkpoint matched
	n       int64        // entries replayed
	stack   []tlog.Hash  // roots of the perfect subtrees, left to right
	stored  []tlog.Hash  // the stored hashes the last Add added
	problem *Problem
}

// NewReplayer returns a replayer that checks against cps (already verified;
// their order does not matter).
func NewReplayer(cps []Checkpoint) *Replayer {
	cs := append([]Checkpoint(nil), cps...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Size < cs[j].Size })
	r := &Replayer{cps: cs}
	r.checkpoints()
	return r
}

// Add checks the next entry: its stored bytes and the leaf hash stored with
// it (hex; "" when the store keeps none). It returns the first problem found
// so far; once there is one, Add does nothing more.
func (r *Replayer) Add(entry []byte, storedLeaf string) *Problem {
	if r.problem != nil {
		return r.problem
	}
	var head struct {
		Index *int64 `json:"index"`
	}
	if err := json.Unmarshal(entry, &head); err != nil || head.Index == nil {
		return r.fail(ProblemCorrupt, r.n, "not an audit entry")
	}
	switch idx := *head.Index; {
	case idx > r.n:
		return r.fail(ProblemMissing, r.n, fmt.Sprintf("position %d holds entry %d: entry %d was deleted or moved", r.n, idx, r.n))
	case idx < r.n:
		return r.fail(ProblemOrder, r.n, fmt.Sprintf("entry %d holds entry %d", r.n, idx))
	}
	leaf := LeafHash(entry)
	if storedLeaf != "" && storedLeaf != hex.EncodeToString(leaf[:]) {
		return r.fail(ProblemLeaf, r.n, "the entry does not match its leaf hash: it was changed")
	}
	r.push(leaf)
	r.checkpoints()
	return r.problem
}

// push adds a leaf to the tree: like a binary counter, equal-sized subtrees
// merge. The leaf and every merged node are the stored hashes tlog keeps for
// the record, in tlog's order (tlog.StoredHashesForRecordHash).
func (r *Replayer) push(h tlog.Hash) {
	r.stack = append(r.stack, h)
	r.stored = append(r.stored[:0], h)
	r.n++
	for n := r.n; n&1 == 0; n >>= 1 {
		l := len(r.stack)
		r.stack = append(r.stack[:l-2], tlog.NodeHash(r.stack[l-2], r.stack[l-1]))
		r.stored = append(r.stored, r.stack[len(r.stack)-1])
	}
}

// CheckStored compares the tree hashes a store keeps for the entry just
// added (stored, the tlog stored hashes from index tlog.StoredHashCount(i)
// to tlog.StoredHashCount(i+1), 32 bytes each) with the ones the replay
// computed from the entries. A difference, or fewer bytes, is a
// ProblemStoredHash at that entry. Call it after Add returned nil.
func (r *Replayer) CheckStored(stored []byte) *Problem {
	if r.problem != nil || r.n == 0 {
		return r.problem
	}
	i := r.n - 1
	base := tlog.StoredHashCount(i)
	for j, h := range r.stored {
		off := j * tlog.HashSize
		if off+tlog.HashSize > len(stored) {
			return r.fail(ProblemStoredHash, i, fmt.Sprintf("stored tree hash %d of entry %d is missing", base+int64(j), i))
		}
		if !bytes.Equal(stored[off:off+tlog.HashSize], h[:]) {
			return r.fail(ProblemStoredHash, i, fmt.Sprintf("stored tree hash %d of entry %d does not match the entries: it was changed", base+int64(j), i))
		}
	}
	if len(stored) > len(r.stored)*tlog.HashSize {
		return r.fail(ProblemStoredHash, i, fmt.Sprintf("entry %d has more stored tree hashes than it should", i))
	}
	return nil
}

// CheckTiled is CheckStored for a store that keeps only the stored hashes
// of levels 0, 8, 16, ... (C2SP tlog-tiles, height 8): stored holds those
// of the entry just added, in that order, 32 bytes each.
func (r *Replayer) CheckTiled(stored []byte) *Problem {
	if r.problem != nil || r.n == 0 {
		return r.problem
	}
	i := r.n - 1
	k := 0
	for j := 0; j < len(r.stored); j += 8 {
		off := k * tlog.HashSize
		k++
		if off+tlog.HashSize > len(stored) {
			return r.fail(ProblemStoredHash, i, fmt.Sprintf("the tile hash of level %d of entry %d is missing", j, i))
		}
		if !bytes.Equal(stored[off:off+tlog.HashSize], r.stored[j][:]) {
			return r.fail(ProblemStoredHash, i, fmt.Sprintf("the tile hash of level %d of entry %d does not match the entries: it was changed", j, i))
		}
	}
	if len(stored) > k*tlog.HashSize {
		return r.fail(ProblemStoredHash, i, fmt.Sprintf("entry %d has more tile hashes than it should", i))
	}
	return nil
}

// Root returns the tree hash of the entries replayed so far.
func (r *Replayer) Root() tlog.Hash {
	if len(r.stack) == 0 {
		return tlog.Hash{}
	}
	h := r.stack[len(r.stack)-1]
	for i := len(r.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(r.stack[i], h)
	}
	return h
}

// Size returns the number of entries replayed.
func (r *Replayer) Size() int64 { return r.n }

// checkpoints compares the tree with every checkpoint of the current size.
func (r *Replayer) checkpoints() {
	for r.problem == nil && r.next < len(r.cps) && r.cps[r.next].Size == r.n {
		cp := r.cps[r.next]
		if cp.Size > 0 && r.Root() != cp.Hash {
			r.problem = &Problem{Kind: ProblemTree, Index: r.good, Until: cp.Size,
				Detail: fmt.Sprintf("the entries do not hash to the checkpoint of size %d signed by the broker: an entry was changed and the hashes recomputed", cp.Size)}
			return
		}
		r.good = cp.Size
		r.next++
	}
}

func (r *Replayer) fail(kind string, at int64, detail string) *Problem {
	r.problem = &Problem{Kind: kind, Index: at, Detail: detail}
	return r.problem
}

// Finish ends the replay: the log must reach the largest checkpoint. It
// returns the first problem, nil for a log that verifies.
func (r *Replayer) Finish() *Problem {
	if r.problem == nil && r.next < len(r.cps) {
		last := r.cps[len(r.cps)-1]
		r.fail(ProblemTruncated, r.n, fmt.Sprintf("the log ends at %d entries; a signed checkpoint covers %d", r.n, last.Size))
	}
	return r.problem
}

// CheckConsistency proves that the tree of checkpoint newer extends that of
// older with proof (tlog.CheckTree); both must be verified already.
func CheckConsistency(older, newer Checkpoint, proof []tlog.Hash) *Problem {
	if older.Origin != newer.Origin {
		return &Problem{Kind: ProblemInconsistent, Detail: "the checkpoints are of different logs"}
	}
	if newer.Size < older.Size {
		return &Problem{Kind: ProblemTruncated, Index: newer.Size, Detail: fmt.Sprintf("the log has %d entries; the saved checkpoint covers %d", newer.Size, older.Size)}
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Hash, older.Size, older.Hash); err != nil {
		return &Problem{Kind: ProblemInconsistent, Index: 0, Until: older.Size, Detail: "today's log does not extend the saved checkpoint"}
	}
	return nil
}
