// Package witness is the broker's side of C2SP tlog-witness and a witness
// of its own: a Cosigner (the server a supervisory body runs, `livcctl
// witness serve`) that cosigns a log's checkpoint only if it is signed by
// the log's key and consistent with every checkpoint it cosigned before;
// the Submitter the broker runs, which sends each new checkpoint to the
// cell's witnesses in the background and keeps what they cosign; and
// Quorum, the check `livcctl audit verify --quorum` makes.
//
// It is not internal/redis/audit's Witness (FileWitness): that one is a
// file next to the broker's own keys, recording the last checkpoint the
// broker signed so that the broker itself refuses to sign a rebuilt log.
// It lives on the broker's host and falls with it. The witnesses here run
// elsewhere, under someone else's control, and their cosignatures are
// what a reader of the log checks.
package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxProof is the most consistency proof lines an add-checkpoint body may
// carry (tlog-witness: 63).
const MaxProof = 63

// MaxBody bounds an add-checkpoint body: the old line, 63 proof lines and a
// checkpoint note with a few signatures fit many times over.
const MaxBody = 64 << 10

// SizeMediaType is the content type of a 409 answer: the witness's size of
// the log, in decimal, and a newline.
const SizeMediaType = "text/x.tlog.size"

// AddCheckpoint is the body of POST /add-checkpoint: the size of the tree
// the submitter believes the witness last cosigned (Old), the consistency
// proof from it to the checkpoint's tree, and the signed checkpoint note.
type AddCheckpoint struct {
	Old        int64
	Proof      []tlog.Hash
	Checkpoint []byte
}

// ParseAddCheckpoint reads an add-checkpoint body. It refuses any other
// form: an old line that is not "old " and a canonical decimal, a proof
// line that is not one hash in standard base64, more than MaxProof lines,
// no blank line, no checkpoint after it.
func ParseAddCheckpoint(body []byte) (AddCheckpoint, error) {
	var a AddCheckpoint
	if len(body) > MaxBody {
		return a, errors.New("witness: body too large")
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return a, errors.New("witness: no old line")
	}
	n, ok := strings.CutPrefix(string(line), "old ")
	if !ok {
		return a, errors.New("witness: the first line is not \"old <size>\"")
	}
	old, err := strconv.ParseInt(n, 10, 64)
	if err != nil || old < 0 || strconv.FormatInt(old, 10) != n {
		return a, errors.New("witness: bad old size")
	}
	a.Old = old
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return a, errors.New("witness: no blank line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(a.Proof) == MaxProof {
			return a, errors.New("witness: too many proof lines")
		}
		h, err := decodeHash(line)
		if err != nil {
			return a, err
		}
		a.Proof = append(a.Proof, h)
	}
	if len(rest) == 0 {
		return a, errors.New("witness: no checkpoint")
	}
	a.Checkpoint = rest
	return a, nil
}

// decodeHash reads one hash in canonical standard base64.
func decodeHash(line []byte) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(string(line))
	if err != nil || len(b) != tlog.HashSize || base64.StdEncoding.EncodeToString(b) != string(line) {
		return h, errors.New("witness: bad proof line")
	}
	copy(h[:], b)
	return h, nil
}

// Marshal returns the body as POST /add-checkpoint takes it.
func (a AddCheckpoint) Marshal() []byte {
	out := fmt.Appendf(nil, "old %d\n", a.Old)
	for _, h := range a.Proof {
		out = append(append(out, base64.StdEncoding.EncodeToString(h[:])...), '\n')
	}
	return append(append(out, '\n'), a.Checkpoint...)
}

// ParseSize reads a 409 answer's body (text/x.tlog.size).
func ParseSize(body []byte) (int64, error) {
	s := strings.TrimSuffix(string(body), "\n")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, errors.New("witness: bad size answer")
	}
	return n, nil
}
