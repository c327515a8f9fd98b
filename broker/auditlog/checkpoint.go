// Package auditlog is the verifiable part of the broker's audit log, free of
// any storage: the leaf hash of an entry, the C2SP tlog-checkpoint signed as a
// note, and the replay that checks a whole log against its checkpoints and
// names the first bad entry. The Redis adapter (internal/redis/audit) writes
// logs with it; livcctl checks them with it, offline, with only the
// verifier key.
//
// The tree is the RFC 6962 Merkle tree of golang.org/x/mod/sumdb/tlog: leaf
// i is SHA-256(0x00 || the stored JSON bytes of entry i).
package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// OriginPrefix starts the origin line of every checkpoint of the broker.
const OriginPrefix = "livc-broker/audit/"

// Origin returns the origin line of a cell's log ("_broker" for the log of
// entries of no cell). Two cells' checkpoints never verify for each other.
func Origin(livc string) string {
	if livc == "" {
		livc = "_broker"
	}
	return OriginPrefix + livc
}

// Checkpoint is a tree head: the log of Origin had Size entries whose tree
// hash is Hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Text returns the checkpoint body as C2SP tlog-checkpoint: the origin, the
// size in decimal and the root hash in standard base64, one per line.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint reads a checkpoint body (the text of a note). Extension
// lines after the hash are allowed and ignored.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.SplitN(string(text), "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return c, errors.New("auditlog: checkpoint: not origin, size and hash lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return c, errors.New("auditlog: checkpoint: bad size")
	}
	// Strict still skips \r and \n inside the base64: only the one text that
	// encodes the hash is the hash line, so that no two texts parse alike.
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return c, errors.New("auditlog: checkpoint: bad root hash")
	}
	c.Origin, c.Size = lines[0], n
	copy(c.Hash[:], h)
	return c, nil
}

// Sign returns c as a signed note.
func Sign(c Checkpoint, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(c.Text())}, s)
}

// Open verifies a signed checkpoint with the verifier key vkey (as GET
// /v1/keys publishes it) and returns it. A note signed by any other key, or
// not a checkpoint, or of another origin when origin is not "", is an error.
func Open(signed []byte, vkey, origin string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("auditlog: verifier key: %w", err)
	}
	return OpenWith(signed, v, origin)
}

// OpenWith is Open with a parsed verifier.
func OpenWith(signed []byte, v note.Verifier, origin string) (Checkpoint, error) {
	n, err := note.Open(bytes.TrimLeft(signed, "\r\n\t "), note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("auditlog: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return c, err
	}
	if origin != "" && c.Origin != origin {
		return c, fmt.Errorf("auditlog: checkpoint of %q, not of %q", c.Origin, origin)
	}
	return c, nil
}

// LeafHash returns the RFC 6962 leaf hash of stored entry bytes.
func LeafHash(entry []byte) tlog.Hash { return tlog.RecordHash(entry) }

// EncodeProof and DecodeProof turn proof hashes into base64 strings (as the
// API carries them) and back.
func EncodeProof(p []tlog.Hash) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// DecodeProof is the inverse of EncodeProof.
func DecodeProof(p []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(p))
	for i, s := range p {
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, errors.New("auditlog: bad proof hash")
		}
		copy(out[i][:], b)
	}
	return out, nil
}
