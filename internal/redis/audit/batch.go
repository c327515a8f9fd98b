package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
)

// stream is one log's batcher: Appends queue on reqs and its goroutine
// writes them in batches. next and cache belong to the goroutine.
type stream struct {
	key   string
	reqs  chan *pending
	next  int64               // the guessed size of the log
	cache map[int64]tlog.Hash // stored hashes already known, by storage index
}

// pending is one Append (or Commit, with its plan) waiting for its batch.
type pending struct {
	ctx  context.Context
	e    *broker.AuditEntry
	head []byte     // canonicalHead(*e)
	plan *plan.Plan // nil for an entry without a write
	done chan error
}

// cacheLimit bounds the stored hashes a batcher remembers; past it, it
// forgets all but the last batch's and reads what it misses from Redis.
const cacheLimit = 1 << 14

// Append writes e to its log and sets e.Index and e.LeafHash (and e.Time to
// now if zero; Time is stored in UTC). It returns nil only once Redis has
// acknowledged the batch holding the entry; on an error the entry is not in
// the log (or, after a lost reply, may be there once, never twice) and
// e.Index and e.LeafHash are left zero. A context canceled before the entry
// joins a batch withdraws it; once in a batch, Append waits for the batch.
func (l *Log) Append(ctx context.Context, e *broker.AuditEntry) error {
	return l.Commit(ctx, e, nil)
}

// Commit is Append with a write: w, a *plan.Plan of the entry's cell,
// is performed in the same script run as the entry is appended, right after
// its checks, so that both are stored or neither (see the package doc). A
// failed check leaves neither and fails this entry only: broker.ErrStale
// (KindConflict) or the check's conflict (KindConflict); a key of the wrong
// type for the write, or a counter it cannot add to, is KindInternal. A nil
// w is Append.
//
// The contract with the store (internal/redis/store, stated in its
// plans.go): a Write is what a Plan* method of the store returned, a *plan.Plan of the entry's
// cell. Commit relies on that alone; it does not trust it: it type-asserts
// the plan, refuses any other Write, a plan of another cell and one that
// plan.Validate refuses, each with nothing written. The plan package is
// internal to internal/redis, so only the store can make such a Write.
func (l *Log) Commit(ctx context.Context, e *broker.AuditEntry, w broker.Write) error {
	if e == nil {
		return errors.New("audit: nil entry")
	}
	var write *plan.Plan
	if w != nil {
		var ok bool
		if write, ok = w.(*plan.Plan); !ok || write == nil {
			return errors.New("audit: a write that is not a plan of the store")
		}
		if write.Livc != e.Livc || e.Livc == "" {
			return errors.New("audit: a write of another cell than its entry")
		}
		if err := write.Validate(); err != nil {
			return err
		}
	}
	key, err := l.streamKey(e.Livc)
	if err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	p, err := newPending(ctx, e, write)
	if err != nil {
		return err
	}
	select {
	case l.stream(key).reqs <- p:
	case <-ctx.Done():
		return fail("append", ctx.Err())
	}
	return <-p.done
}

// newPending is e, with plan, ready for its batch: its JSON but for the
// index (canonicalHead) already encoded.
func newPending(ctx context.Context, e *broker.AuditEntry, write *plan.Plan) (*pending, error) {
	head, err := canonicalHead(*e)
	if err != nil {
		return nil, err
	}
	return &pending{ctx: ctx, e: e, head: head, plan: write, done: make(chan error, 1)}, nil
}

// stream returns the batcher of key, starting it on first use. Batchers live
// as long as the process: there is one per log.
func (l *Log) stream(key string) *stream {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.streams[key]
	if st == nil {
		st = &stream{key: key, reqs: make(chan *pending, 4*l.conf.MaxBatch), cache: map[int64]tlog.Hash{}}
		l.streams[key] = st
		go l.batcher(st)
	}
	return st
}

// batcher takes whatever is waiting, up to MaxBatch, and commits it.
func (l *Log) batcher(st *stream) {
	for p := range st.reqs {
		batch := []*pending{p}
	more:
		for len(batch) < l.conf.MaxBatch {
			select {
			case q := <-st.reqs:
				batch = append(batch, q)
			default:
				break more
			}
		}
		live := batch[:0]
		for _, q := range batch {
			if err := q.ctx.Err(); err != nil {
				q.done <- fail("append", err)
				continue
			}
			live = append(live, q)
		}
		if len(live) > 0 {
			l.commit(st, live)
		}
	}
}

// finish answers the entries of batch with err.
func finish(batch []*pending, err error) {
	for _, q := range batch {
		if err != nil {
			q.e.Index, q.e.LeafHash = 0, ""
		}
		q.done <- err
	}
}

// commit writes batch in as few script runs as it can and answers each
// entry. A run writes the entries in order and stops at the first whose
// write's check fails: that entry is answered with the failure, and the
// rest go on in the next run, numbered and hashed again. While another
// process wins the counter, it retries from the counter Redis reports.
func (l *Log) commit(st *stream, batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), l.maxWait+2*time.Second)
	defer cancel()
	deadline := time.Now().Add(l.maxWait)
	for conflicts := 0; len(batch) > 0; {
		if conflicts > 0 && !time.Now().Before(deadline) {
			finish(batch, fail("append", errors.New("too much contention on the log counter")))
			return
		}
		if conflicts > 2 {
			if err := backoff(ctx, conflicts); err != nil {
				finish(batch, fail("append", err))
				return
			}
		}
		want := st.next
		keys, args, hashes, err := l.prepare(ctx, st, batch)
		if err != nil {
			finish(batch, fail("append", err))
			return
		}
		r, err := runBatch(ctx, l.c, keys, args)
		if err != nil {
			finish(batch, fail("append", err))
			return
		}
		// The first r.written entries are in the log, from want on.
		if len(st.cache) > cacheLimit {
			st.cache = map[int64]tlog.Hash{}
		}
		limit := tlog.StoredHashCount(want + int64(r.written))
		for i, h := range hashes {
			if i < limit {
				st.cache[i] = h
			}
		}
		finish(batch[:r.written], nil)
		batch = batch[r.written:]
		switch r.status {
		case statusDone:
			st.next = want + int64(r.written)
		case statusCheckFailed:
			st.next = want + int64(r.written)
			finish(batch[:1], checkFailed(batch[0].plan, r.code))
			batch = batch[1:]
		case statusRefused:
			// Every later entry would be refused too: the log needs
			// repair (its verify says where), not a retry.
			st.next = want + int64(r.written)
			finish(batch, fail("append", errors.New("the stream refuses the next entry's id: entries were added around the log")))
			return
		default:
			st.next = r.base
			conflicts++
		}
	}
}

// checkFailed is the error of an entry whose write's check code failed: the
// 1-based index of the check, or -1 for a key of the wrong type or a counter
// that cannot be incremented.
func checkFailed(write *plan.Plan, code int64) error {
	if write == nil || code < 1 || code > int64(len(write.Checks)) {
		return broker.Wrap(broker.KindInternal, errors.New("audit: a key of the write has a type or value the write cannot use"),
			"the write could not be performed; nothing was stored")
	}
	c := write.Checks[code-1]
	if c.OnFail == plan.Conflict {
		return broker.Wrap(broker.KindConflict, fmt.Errorf("audit: check %s failed", c.Kind), c.Detail)
	}
	return broker.Wrap(broker.KindConflict, fmt.Errorf("audit: check %s failed: %w", c.Kind, broker.ErrStale),
		"the data changed while this request was handled; try again")
}

// Fixed KEYS of the batch script, before the plans' keys.
func auditKeys(key string) []string {
	return []string{key + ":head", key, key + ":tree", key + ":ids"}
}

// prepare numbers the batch from st.next, encodes and hashes each entry,
// encodes its plan, and returns the script's keys and arguments and the new
// stored hashes by index.
func (l *Log) prepare(ctx context.Context, st *stream, batch []*pending) ([]string, []any, map[int64]tlog.Hash, error) {
	n := st.next
	fresh := map[int64]tlog.Hash{}
	r := &hashReader{ctx: ctx, c: l.c, key: st.key, known: []map[int64]tlog.Hash{fresh, st.cache}}
	tiles := tileKeysFor(st.key, n, n+int64(len(batch)))
	keys := append(auditKeys(st.key), tiles...)
	index := map[string]int{}
	for i, k := range keys {
		index[k] = i + 1
	}
	keyIndex := func(k string) int {
		if i, ok := index[k]; ok {
			return i
		}
		keys = append(keys, k)
		index[k] = len(keys)
		return len(keys)
	}
	args := make([]any, 0, 4+6*len(batch))
	args = append(args, n, l.owner, len(batch), len(tiles))
	for i, p := range batch {
		p.e.Index, p.e.LeafHash = n+int64(i), ""
		doc := canonicalAt(p.head, p.e.Index)
		h := tlog.RecordHash(doc)
		p.e.LeafHash = fmt.Sprintf("%x", h[:])
		stored, err := tlog.StoredHashesForRecordHash(p.e.Index, h, r)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tree hashes: %w", err)
		}
		base := tlog.StoredHashCount(p.e.Index)
		for j, sh := range stored {
			fresh[base+int64(j)] = sh
		}
		args = append(args, doc, p.e.LeafHash, p.e.ID, tileHashes(stored))
		if p.plan == nil {
			args = append(args, 0)
			continue
		}
		args = append(args, p.plan.EncodedLen())
		args = p.plan.Encode(args, keyIndex)
	}
	return keys, args, fresh, nil
}

// The statuses of a batch script run.
const (
	statusConflict    = 0
	statusDone        = 1
	statusCheckFailed = 2
	// statusRefused: the stream refused the entry after the first written
	// ones (its id not above the stream's last: entries added around the
	// broker). Nothing of that entry was written.
	statusRefused = 3
)

// batchResult is the reply of a batch script run.
type batchResult struct {
	status  int64
	base    int64
	written int
	code    int64
}

func runBatch(ctx context.Context, c redis.UniversalClient, keys []string, args []any) (batchResult, error) {
	res, err := batchScript.Run(ctx, c, keys, args...).Int64Slice()
	if err != nil {
		return batchResult{}, err
	}
	if len(res) != 4 || res[2] < 0 || res[0] < 0 || res[0] > 3 {
		return batchResult{}, errors.New("unexpected script reply")
	}
	return batchResult{status: res[0], base: res[1], written: int(res[2]), code: res[3]}, nil
}

// backoff sleeps a random while, growing with the attempt up to 2ms, so that
// a process that lost the counter to another one gets its turn rather than
// losing again to a tight loop.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(min(1<<min(attempt, 12), 2000)) * time.Microsecond
	t := time.NewTimer(rand.N(limit) + 50*time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
