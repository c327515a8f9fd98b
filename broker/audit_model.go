package broker

import (
	"context"
	"encoding/json"

	"golang.org/x/mod/sumdb/tlog"
)

// AuditProver is the verifiable side of the audit log: signed checkpoints,
// proofs and a full check. The Auditor of Conf implements it when the log is
// verifiable (internal/redis/audit does); otherwise the endpoints that need it
// answer 503. Every method works on one cell's log ("" for the log of
// entries of no cell).
type AuditProver interface {
	// Checkpoint returns the latest signed checkpoint (a signed note in the
	// C2SP tlog-checkpoint form). With fresh, it first signs one covering
	// every entry now in the log. It refuses to sign a tree that does not
	// extend the last checkpoint it signed.
	Checkpoint(ctx context.Context, livc string, fresh bool) ([]byte, error)
	// Checkpoints returns every signed checkpoint kept, oldest first.
	Checkpoints(ctx context.Context, livc string) ([][]byte, error)
	// Prove returns the inclusion proof of the entry with that audit id in
	// the tree of a signed checkpoint; ErrNotFound for an unknown id.
	Prove(ctx context.Context, livc, auditID string) (InclusionProof, error)
	// Consistency returns the proof that the latest checkpoint's tree
	// extends the tree of size from.
	Consistency(ctx context.Context, livc string, from int64) (ConsistencyProof, error)
	// Verify replays the whole log against every signed checkpoint and, with
	// since > 0, adds the proof that a fresh checkpoint extends the tree of
	// that size, for the caller to check against the checkpoint it saved.
	Verify(ctx context.Context, livc string, since int64) (VerifyReport, error)
	// Export returns up to limit entries from index from, as stored, with
	// their inclusion proofs when proofs is set: with size 0 in the tree of
	// the returned checkpoint, with size > 0 in the tree of that size (the
	// checkpoint a caller got with an earlier page), returning no entry at
	// or past it, so that every page of an export is proved in one tree.
	Export(ctx context.Context, livc string, from int64, limit int, size int64, proofs bool) (Export, error)
	// Tile returns a tile of the log's tree, or with level -1 an entry
	// bundle, as C2SP tlog-tiles serves it (height 8); ErrNotFound for one
	// the log does not hold at that width (yet).
	Tile(ctx context.Context, livc string, t tlog.Tile) ([]byte, error)
}

// InclusionProof proves that an entry is leaf Index of the tree of
// Checkpoint: tlog.CheckRecord(Proof, size, root, Index, SHA-256(0x00||Entry)).
type InclusionProof struct {
	Index      int64           `json:"index"`
	Entry      json.RawMessage `json:"entry"`
	LeafHash   string          `json:"leaf_hash"`
	Checkpoint string          `json:"checkpoint"`
	Proof      []string        `json:"proof"` // base64 hashes
}

// ConsistencyProof proves that the tree of Checkpoint extends the tree of
// size From: tlog.CheckTree(Proof, size, root, From, saved root).
type ConsistencyProof struct {
	From       int64    `json:"from"`
	Checkpoint string   `json:"checkpoint"`
	Proof      []string `json:"proof"`
}

// AuditProblem says what is wrong with the log and where: Index is the first
// bad entry (or, with Until, the first of the range it lies in).
type AuditProblem struct {
	Kind   string `json:"kind"`
	Index  int64  `json:"index"`
	Until  int64  `json:"until,omitempty"`
	Detail string `json:"detail"`
}

// VerifyReport is the answer of GET /v1/audit/verify.
type VerifyReport struct {
	OK          bool              `json:"ok"`
	Size        int64             `json:"size"`
	Checkpoint  string            `json:"checkpoint,omitempty"`
	Checkpoints int               `json:"checkpoints"`
	Problem     *AuditProblem     `json:"problem,omitempty"`
	Consistency *ConsistencyProof `json:"consistency,omitempty"`
}

// ExportedEntry is one entry of an export, as stored.
type ExportedEntry struct {
	Index    int64           `json:"index"`
	Entry    json.RawMessage `json:"entry"`
	LeafHash string          `json:"leaf_hash"`
	Proof    []string        `json:"proof,omitempty"`
}

// Export is one page of GET /v1/audit/export. Checkpoint is the signed
// checkpoint of the tree the proofs are in; with size= it is the kept one
// of that size, "" when it was thinned away (the caller holds it).
type Export struct {
	Checkpoint string          `json:"checkpoint"`
	Items      []ExportedEntry `json:"items"`
	Next       int64           `json:"next,omitempty"` // the index to continue from; 0 at the end
}
