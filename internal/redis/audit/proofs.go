package audit

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// Proofs against signed checkpoints (checkpoints.go): an entry's inclusion,
// a tree's consistency with a smaller one, and export pages with proofs.

// covering returns a signed checkpoint of a tree of more than index entries,
// signing a fresh one when the latest does not cover it.
func (l *Log) covering(ctx context.Context, livc string, index int64) (auditlog.Checkpoint, []byte, error) {
	for _, fresh := range []bool{false, true} {
		note, err := l.Checkpoint(ctx, livc, fresh)
		if err != nil {
			return auditlog.Checkpoint{}, nil, err
		}
		cp, err := auditlog.OpenWith(note, l.conf.Verifier, auditlog.Origin(livc))
		if err != nil {
			return cp, nil, fail("checkpoint", err)
		}
		if cp.Size > index {
			return cp, note, nil
		}
	}
	return auditlog.Checkpoint{}, nil, broker.Errorf(broker.KindNotFound, "no such audit entry")
}

// Prove implements broker.AuditProver.
func (l *Log) Prove(ctx context.Context, livc, auditID string) (broker.InclusionProof, error) {
	var p broker.InclusionProof
	key, err := l.streamKey(livc)
	if err != nil {
		return p, err
	}
	idx, err := l.c.HGet(ctx, key+":ids", auditID).Int64()
	if errors.Is(err, redis.Nil) {
		return p, broker.ErrNotFound
	}
	if err != nil {
		return p, fail("prove", err)
	}
	cp, note, err := l.covering(ctx, livc, idx)
	if err != nil {
		return p, err
	}
	ex, err := l.entries(ctx, key, idx, 1)
	if err != nil {
		return p, err
	}
	if len(ex) != 1 || ex[0].Index != idx {
		return p, broker.Errorf(broker.KindInternal, "audit entry %d is missing from the log: run verify", idx)
	}
	proof, err := tlog.ProveRecord(cp.Size, idx, l.reader(ctx, key))
	if err != nil {
		return p, fail("prove", err)
	}
	return broker.InclusionProof{Index: idx, Entry: ex[0].Entry, LeafHash: ex[0].LeafHash,
		Checkpoint: string(note), Proof: auditlog.EncodeProof(proof)}, nil
}

// Consistency implements broker.AuditProver.
func (l *Log) Consistency(ctx context.Context, livc string, from int64) (broker.ConsistencyProof, error) {
	var p broker.ConsistencyProof
	key, err := l.streamKey(livc)
	if err != nil {
		return p, err
	}
	note, err := l.Checkpoint(ctx, livc, true)
	if err != nil {
		return p, err
	}
	cp, err := auditlog.OpenWith(note, l.conf.Verifier, auditlog.Origin(livc))
	if err != nil {
		return p, fail("consistency", err)
	}
	if from < 0 || from > cp.Size {
		return p, broker.Invalid("since", "must be from 0 to the log's size, %d", cp.Size)
	}
	proof, err := tlog.ProveTree(cp.Size, from, l.reader(ctx, key))
	if err != nil {
		return p, fail("consistency", err)
	}
	return broker.ConsistencyProof{From: from, Checkpoint: string(note), Proof: auditlog.EncodeProof(proof)}, nil
}

// entries reads up to limit stream entries from index from, as stored.
func (l *Log) entries(ctx context.Context, key string, from int64, limit int) ([]broker.ExportedEntry, error) {
	msgs, err := l.c.XRangeN(ctx, key, "0-"+strconv.FormatInt(from+1, 10), "+", int64(limit)).Result()
	if err != nil {
		return nil, fail("export", err)
	}
	out := make([]broker.ExportedEntry, 0, len(msgs))
	for _, m := range msgs {
		doc, _ := m.Values["entry"].(string)
		leaf, _ := m.Values["leaf"].(string)
		out = append(out, broker.ExportedEntry{Index: streamIndex(m.ID), Entry: []byte(doc), LeafHash: leaf})
	}
	return out, nil
}

// streamIndex returns the index a stream id 0-(i+1) stands for, -1 for any
// other id: the id must be exactly that, in canonical decimal (no sign, no
// leading zero, nothing after), since Redis never writes it otherwise.
func streamIndex(id string) int64 {
	rest, ok := strings.CutPrefix(id, "0-")
	if !ok {
		return -1
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || seq < 1 || strconv.FormatInt(seq, 10) != rest {
		return -1
	}
	return seq - 1
}

// Export implements broker.AuditProver. With size 0 the page is pinned to
// the latest signed checkpoint covering from (signed fresh when none does);
// with size > 0 (the size of a checkpoint the caller holds, such as a first
// page's) every proof is in the tree of that size, entries at or past it are
// not returned, and the checkpoint is the kept note of that size, or "" once
// thinned away. A size past the log's is refused with proofs; without, it
// bounds the page only.
func (l *Log) Export(ctx context.Context, livc string, from int64, limit int, size int64, proofs bool) (broker.Export, error) {
	var x broker.Export
	key, err := l.streamKey(livc)
	if err != nil {
		return x, err
	}
	cp, note, err := l.exportTree(ctx, key, livc, from, size, proofs)
	if err != nil {
		return x, err
	}
	x.Checkpoint = string(note)
	if from < 0 || from >= cp.Size {
		x.Items = []broker.ExportedEntry{}
		return x, nil
	}
	limit = int(min(int64(limit), cp.Size-from))
	x.Items, err = l.entries(ctx, key, from, limit)
	if err != nil {
		return x, err
	}
	r := l.reader(ctx, key)
	if proofs {
		for i := range x.Items {
			it := &x.Items[i]
			if it.Index < 0 || it.Index >= cp.Size {
				continue
			}
			p, err := tlog.ProveRecord(cp.Size, it.Index, r)
			if err != nil {
				return x, fail("export", err)
			}
			it.Proof = auditlog.EncodeProof(p)
		}
	}
	if end := from + int64(len(x.Items)); len(x.Items) > 0 && end < cp.Size {
		x.Next = end
	}
	return x, nil
}

// exportTree returns the tree an export page is proved in: of the given
// size (with its kept note, if any), or the latest checkpoint covering
// from. Only the size of the result is used for a given size; the caller
// verifies the proofs against the note it holds.
func (l *Log) exportTree(ctx context.Context, key, livc string, from, size int64, proofs bool) (auditlog.Checkpoint, []byte, error) {
	if size <= 0 {
		cp, note, err := l.covering(ctx, livc, max(from, 0))
		if err != nil && broker.KindOf(err) != broker.KindNotFound {
			return cp, nil, err
		}
		return cp, note, nil
	}
	if l.conf.Verifier == nil {
		return auditlog.Checkpoint{}, nil, errNoSigner
	}
	n, err := l.size(ctx, key)
	if err != nil {
		return auditlog.Checkpoint{}, nil, fail("export", err)
	}
	if size > n && proofs {
		return auditlog.Checkpoint{}, nil, broker.Invalid("size", "must not exceed the log's size, %d", n)
	}
	if size > n {
		// Without proofs size only bounds the page: a verifier replaying a
		// log shorter than its checkpoint gets what there is, and reports
		// the truncation.
		return auditlog.Checkpoint{Origin: auditlog.Origin(livc), Size: n}, nil, nil
	}
	note, err := l.keptOfSize(ctx, key, auditlog.Origin(livc), size)
	if err != nil {
		return auditlog.Checkpoint{}, nil, err
	}
	return auditlog.Checkpoint{Origin: auditlog.Origin(livc), Size: size}, note, nil
}

// keptOfSize returns the newest kept checkpoint of exactly that size that
// verifies, nil when there is none.
func (l *Log) keptOfSize(ctx context.Context, key, origin string, size int64) ([]byte, error) {
	notes, err := l.c.LRange(ctx, key+":checkpoints", 0, -1).Result()
	if err != nil {
		return nil, fail("export", err)
	}
	for i := len(notes) - 1; i >= 0; i-- {
		if cp, err := auditlog.OpenWith([]byte(notes[i]), l.conf.Verifier, origin); err == nil && cp.Size == size {
			return []byte(notes[i]), nil
		}
	}
	return nil, nil
}
