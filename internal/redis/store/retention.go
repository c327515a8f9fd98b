package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// Retention (broker/retention_list.go): what the schedule is read from, and the
// claim that lets one broker of several run a cell's expiry at a time.
//
//	livc:{livc:<cell>}:retention:claim   string  the token of the broker running the cell's expiry (PX: its claim's end)
//
// The schedule itself is not stored: it is computed from the intake's state
// indexes and the dossiers at each run, so nothing is lost on a restart.

// readChunk bounds the ids read in one pipeline.
const readChunk = 500

// SignalsInStates returns every intake entry of the cell in one of states.
func (s *Store) SignalsInStates(ctx context.Context, livc string, states []string) ([]broker.SignalEntry, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	var out []broker.SignalEntry
	for _, st := range states {
		if !validState(st) {
			return nil, errors.New("store: signals in states: invalid state")
		}
		ids, err := s.c.ZRange(ctx, p+"signals:"+st, 0, -1).Result()
		if err != nil {
			return nil, fail("signals in states", err)
		}
		for chunk := range slices.Chunk(ids, readChunk) {
			zs := make([]redis.Z, len(chunk))
			for i, id := range chunk {
				zs[i] = redis.Z{Member: id}
			}
			entries, _, err := s.signalEntries(ctx, p, zs, "")
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if e.State == st { // moved between the index read and the entry's
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

// ClosedCases returns every closed dossier of the cell.
func (s *Store) ClosedCases(ctx context.Context, livc string) ([]broker.Case, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	ids, err := s.c.ZRange(ctx, p+"cases", 0, -1).Result()
	if err != nil {
		return nil, fail("closed cases", err)
	}
	var out []broker.Case
	for chunk := range slices.Chunk(ids, readChunk) {
		keys := make([]string, len(chunk))
		for i, id := range chunk {
			keys[i] = p + "case:" + id
		}
		docs, err := s.mget(ctx, keys)
		if err != nil {
			return nil, fail("closed cases", err)
		}
		for _, doc := range docs {
			var c broker.Case
			if err := json.Unmarshal([]byte(doc), &c); err != nil {
				return nil, fail("closed cases", errors.New("stored dossier is not valid JSON"))
			}
			if !c.Open() {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// mget reads keys (of one slot) with GETs in one pipeline: an MGET would
// need them on one node, which a pipeline of the go-redis cluster client
// does not. Missing keys are left out.
func (s *Store) mget(ctx context.Context, keys []string) ([]string, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = pipe.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]string, 0, len(keys))
	for _, c := range cmds {
		if v, err := c.Result(); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// releaseClaimScript gives a claim up only if it is still the caller's.
var releaseClaimScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ClaimRetention claims the cell's retention run for ttl (SET NX PX with a
// random token); release deletes the claim only while it is still this
// one's, so that a claim that ran out and was taken by another broker is
// not given up for it.
func (s *Store) ClaimRetention(ctx context.Context, livc string, ttl time.Duration) (func(), bool, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, false, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, err
	}
	token, key := hex.EncodeToString(b[:]), p+"retention:claim"
	ok, err := s.c.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, false, fail("claim retention", err)
	}
	if !ok {
		return func() {}, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = releaseClaimScript.Run(ctx, s.c, []string{key}, token).Err() // it runs out by itself
	}, true, nil
}

// expiryRecords returns the ids of the records an expiry erases, as read
// now: a signal's own record; a dossier's signals still in it (in_dossier
// with its id; one taken into another dossier since stays) and its records
// the intake does not know (observations). It returns ErrNotFound when the
// item is gone and ErrStale when it changed since it was read.
func (s *Store) expiryRecords(ctx context.Context, p string, x broker.Expiry) ([]string, error) {
	if x.Kind == broker.ExpirySignal {
		h, err := s.c.HGetAll(ctx, p+"signal:"+x.ID).Result()
		switch {
		case err != nil:
			return nil, fail("plan expire", err)
		case len(h) == 0:
			return nil, broker.ErrNotFound
		case h["state"] != x.Signal.State || h["subject_ref"] != x.SubjectRef:
			return nil, broker.ErrStale
		}
		return []string{x.ID}, nil
	}
	doc, err := s.c.Get(ctx, p+"case:"+x.ID).Result()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("plan expire", err)
	}
	was, err := json.Marshal(x.Case)
	if err != nil || doc != string(was) || x.Case.Open() {
		return nil, broker.ErrStale
	}
	var ids []string
	for _, id := range x.Case.SignalIDs {
		h, err := s.c.HMGet(ctx, p+"signal:"+id, "state", "case_id").Result()
		if err != nil {
			return nil, fail("plan expire", err)
		}
		state, _ := h[0].(string)
		caseID, _ := h[1].(string)
		if state == "" && !strings.HasPrefix(id, "sig_") || state == broker.SignalInDossier && caseID == x.ID {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// caseDoc is dossier c's document as the store keeps it.
func caseDoc(c broker.Case) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("store: dossier: %w", err)
	}
	return string(b), nil
}
