package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// verifyChunk is how many entries Verify reads per round trip.
const verifyChunk = 2000

// Verify implements broker.AuditProver: it replays the whole log against
// every checkpoint kept (each verified with the broker's key) and the one
// the witness holds, against the head's size and against the stored tree
// hashes (which checkpoints and proofs are made from), and names the first
// bad entry. A log that does not extend the witness's checkpoint fails with
// auditlog.ProblemWitness even where the replay finds nothing else. With
// since > 0 it adds the consistency proof from the tree of that size to a
// fresh checkpoint, for the caller to check against the checkpoint of that
// size it saved; Verify does not check that proof itself (a kept checkpoint
// of that size is checked by the replay already).
func (l *Log) Verify(ctx context.Context, livc string, since int64) (broker.VerifyReport, error) {
	var rep broker.VerifyReport
	if l.conf.Verifier == nil {
		return rep, errNoSigner
	}
	key, err := l.streamKey(livc)
	if err != nil {
		return rep, err
	}
	origin := auditlog.Origin(livc)
	// Sign what is there now first (refused if it does not extend the last
	// checkpoint), then read the checkpoints, then the log.
	latest, signErr := l.Checkpoint(ctx, livc, true)
	cps, forged, err := l.keptCheckpoints(ctx, livc, origin)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	if signErr == nil {
		rep.Checkpoint = string(latest)
	}
	r := auditlog.NewReplayer(cps)
	p, err := l.replay(ctx, key, r)
	if err != nil {
		return rep, err
	}
	if p == nil {
		p = r.Finish()
	}
	rep.Size = r.Size()
	if p == nil {
		p = l.checkAfterReplay(ctx, key, origin, r, forged, signErr)
	}
	if since > 0 && p == nil {
		c, err := l.Consistency(ctx, livc, since)
		if err != nil {
			return rep, err
		}
		rep.Consistency = &c
	}
	rep.OK = p == nil
	if p != nil {
		rep.Problem = &broker.AuditProblem{Kind: p.Kind, Index: p.Index, Until: p.Until, Detail: p.Detail}
	}
	return rep, nil
}

// keptCheckpoints returns the kept checkpoints of the log that verify with
// the broker's key, in the order kept, and the problem of the first that
// does not (nil if none): a forged note, reported once the replay finds
// nothing worse.
func (l *Log) keptCheckpoints(ctx context.Context, livc, origin string) ([]auditlog.Checkpoint, *auditlog.Problem, error) {
	notes, err := l.Checkpoints(ctx, livc)
	if err != nil {
		return nil, nil, err
	}
	var cps []auditlog.Checkpoint
	var forged *auditlog.Problem
	for i, n := range notes {
		cp, err := auditlog.OpenWith(n, l.conf.Verifier, origin)
		if err != nil {
			if forged == nil {
				forged = &auditlog.Problem{Kind: auditlog.ProblemSignature, Index: -1,
					Detail: fmt.Sprintf("checkpoint %d kept in the log does not verify with the broker's key", i)}
				if c, perr := auditlog.ParseCheckpoint(noteText(n)); perr == nil {
					forged.Index = c.Size
				}
			}
			continue
		}
		cps = append(cps, cp)
	}
	return cps, forged, nil
}

// replay feeds the whole stream to r, verifyChunk entries a round trip, and
// checks each entry's hashes in the tiles against those r computes. It
// returns the first problem found, nil when there is none.
func (l *Log) replay(ctx context.Context, key string, r *auditlog.Replayer) (*auditlog.Problem, error) {
	for start := "-"; ; {
		msgs, err := l.c.XRangeN(ctx, key, start, "+", verifyChunk).Result()
		if err != nil {
			return nil, fail("verify", err)
		}
		// The stored tree hashes of the entries this chunk should hold,
		// compared with the ones the replay computes.
		n0 := r.Size()
		tiled, err := entryTileHashes(ctx, l.c, key, n0, n0+int64(len(msgs)))
		if err != nil {
			return nil, fail("verify", err)
		}
		for j, m := range msgs {
			doc, _ := m.Values["entry"].(string)
			leaf, _ := m.Values["leaf"].(string)
			if p := r.Add([]byte(doc), leaf); p != nil {
				return p, nil
			}
			if p := r.CheckTiled(tiled[j]); p != nil {
				return p, nil
			}
		}
		if len(msgs) < verifyChunk {
			return nil, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// checkAfterReplay checks, once the entries replayed without a problem,
// what the replay cannot see, in order: a head that counts more entries
// than the stream holds, tiles holding more or fewer hashes than the
// entries give, a forged kept
// checkpoint, the witness's checkpoint, and the refusal to sign (signErr)
// of a log that does not extend its last checkpoint. It returns the first
// problem, nil when there is none.
func (l *Log) checkAfterReplay(ctx context.Context, key, origin string, r *auditlog.Replayer, forged *auditlog.Problem, signErr error) *auditlog.Problem {
	size := r.Size()
	if n, err := l.size(ctx, key); err == nil && n > size {
		return &auditlog.Problem{Kind: auditlog.ProblemTruncated, Index: size,
			Detail: fmt.Sprintf("the log ends at %d entries; its head counts %d", size, n)}
	}
	if d, err := checkTileEnds(ctx, l.c, key, size); err == nil && d != "" {
		return &auditlog.Problem{Kind: auditlog.ProblemStoredHash, Index: size, Detail: d}
	}
	if forged != nil {
		return forged
	}
	if p := l.checkWitness(ctx, key, origin, size, r.Root()); p != nil {
		return p
	}
	if errors.Is(signErr, errRebuilt) {
		return &auditlog.Problem{Kind: auditlog.ProblemWitness, Index: 0, Until: size,
			Detail: "the log does not extend the last checkpoint the broker signed, recorded outside Redis: it was rebuilt"}
	}
	if signErr != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemInconsistent, Index: size, Detail: "the stored tree does not extend the last signed checkpoint"}
	}
	return nil
}

// checkWitness checks that the replayed log (n entries, root) extends the
// checkpoint the witness holds, with a consistency proof from the stored
// hashes (already checked against the entries by the replay).
func (l *Log) checkWitness(ctx context.Context, key, origin string, n int64, root tlog.Hash) *auditlog.Problem {
	if l.conf.Witness == nil {
		return nil
	}
	w, ok := l.conf.Witness.Last(origin)
	if !ok || w.Size == 0 {
		return nil
	}
	cur := auditlog.Checkpoint{Origin: origin, Size: n, Hash: root}
	if n < w.Size {
		// A checkpoint signed while the replay ran is larger than what it
		// read: then the log's head has reached it, and it must extend
		// the replayed tree.
		head, err := l.size(ctx, key)
		if err == nil && head >= w.Size && l.extends(ctx, l.reader(ctx, key), cur, w) == nil {
			return nil
		}
		return &auditlog.Problem{Kind: auditlog.ProblemWitness, Index: n,
			Detail: fmt.Sprintf("the log has %d entries; the broker signed a checkpoint of %d, recorded outside Redis: it was rebuilt shorter", n, w.Size)}
	}
	if err := l.extends(ctx, l.reader(ctx, key), w, cur); err != nil {
		return &auditlog.Problem{Kind: auditlog.ProblemWitness, Index: 0, Until: w.Size,
			Detail: fmt.Sprintf("the entries do not extend the checkpoint of size %d the broker signed, recorded outside Redis: an entry before it was changed and the log rebuilt", w.Size)}
	}
	return nil
}

// noteText returns the text of a note without checking its signature.
func noteText(n []byte) []byte {
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '\n' && n[i+1] == '\n' {
			return n[:i+1]
		}
	}
	return n
}
