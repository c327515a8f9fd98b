package audit

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// Witness cosignatures (internal/witness) are kept next to the log's
// checkpoints, one per witness, the last it gave: a witness that cosigns a
// checkpoint vouches for every smaller tree of the log too, so an older
// cosignature is worth nothing once a newer one is in.

// ProveTree returns the proof that the cell's tree of size n extends its
// tree of size old (0 <= old <= n <= the log's size), from the stored
// hashes: what a witness needs with a checkpoint of size n when it last
// cosigned one of size old.
func (l *Log) ProveTree(ctx context.Context, livc string, n, old int64) ([]tlog.Hash, error) {
	key, err := l.streamKey(livc)
	if err != nil {
		return nil, err
	}
	size, err := l.size(ctx, key)
	if err != nil {
		return nil, fail("consistency", err)
	}
	if old < 0 || old > n || n > size {
		return nil, fail("consistency", errBadRange)
	}
	p, err := tlog.ProveTree(n, old, l.reader(ctx, key))
	if err != nil {
		return nil, fail("consistency", err)
	}
	return p, nil
}

// errBadRange is a proof asked between sizes the log does not have.
var errBadRange = errors.New("audit: the sizes are not within the log")

// AddCosignature keeps witness's cosignature line of the cell's checkpoint
// of size n, replacing the one it gave before. The caller has verified it;
// Checkpoint verifies it again before serving it.
func (l *Log) AddCosignature(ctx context.Context, livc, witness string, n int64, line string) error {
	key, err := l.streamKey(livc)
	if err != nil {
		return err
	}
	if err := l.c.HSet(ctx, key+":cosignatures", witness, strconv.FormatInt(n, 10)+"\n"+line).Err(); err != nil {
		return fail("cosignature", err)
	}
	return nil
}

// withCosignatures returns signed with every kept cosignature of it that
// one of the cell's witnesses (Conf.Cosigners) verifies. A cosignature
// that does not verify (another tree of that size, a forged line) is left
// out; so is everything when Redis does not answer: the checkpoint is
// served as the log's key signed it.
func (l *Log) withCosignatures(ctx context.Context, livc, key string, signed []byte) []byte {
	ws := l.conf.Cosigners[livc]
	if len(ws) == 0 {
		return signed
	}
	cp, err := auditlog.OpenWith(signed, l.conf.Verifier, "")
	if err != nil {
		return signed
	}
	kept, err := l.c.HGetAll(ctx, key+":cosignatures").Result()
	if err != nil {
		l.conf.Logger.Warn("audit checkpoint served without its cosignatures", "log", cp.Origin, "err", err)
		return signed
	}
	size := strconv.FormatInt(cp.Size, 10) + "\n"
	var lines []string
	for _, v := range kept {
		if line, ok := strings.CutPrefix(v, size); ok {
			lines = append(lines, line)
		}
	}
	valid, _ := auditlog.Cosignatures(auditlog.WithSignatures(signed, lines), l.conf.Verifier, ws)
	lines = lines[:0]
	for _, line := range valid {
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return auditlog.WithSignatures(signed, lines)
}
