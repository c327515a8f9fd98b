package redisaudit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
)

// stream is one log's batcher: Appends queue on reqs and its goroutine
// writes them in batches. next and cache belong to the goroutine.
type stream struct {
	key   string
	reqs  chan *pending
	next  int64               // the guessed size of the log
	cache map[int64]tlog.Hash // stored hashes already known, by storage index
}

// pending is one Append waiting for its batch.
type pending struct {
	ctx  context.Context
	e    *broker.AuditEntry
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
	if e == nil {
		return errors.New("redisaudit: nil entry")
	}
	key, err := l.streamKey(e.Livc)
	if err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	p := &pending{ctx: ctx, e: e, done: make(chan error, 1)}
	select {
	case l.stream(key).reqs <- p:
	case <-ctx.Done():
		return fail("append", ctx.Err())
	}
	return <-p.done
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
			err := l.commit(st, live)
			for _, q := range live {
				if err != nil {
					q.e.Index, q.e.LeafHash = 0, ""
				}
				q.done <- err
			}
		}
	}
}

// commit writes batch in one script run, retrying from the counter Redis
// reports while another process wins the race.
func (l *Log) commit(st *stream, batch []*pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.maxWait+2*time.Second)
	defer cancel()
	deadline := time.Now().Add(l.maxWait)
	for attempt := 0; attempt == 0 || time.Now().Before(deadline); attempt++ {
		if attempt > 2 {
			if err := backoff(ctx, attempt); err != nil {
				return fail("append", err)
			}
		}
		args, hashes, err := l.prepare(ctx, st, batch)
		if err != nil {
			return fail("append", err)
		}
		ok, cur, err := runBatch(ctx, l.c, st.key, args)
		if err != nil {
			return fail("append", err)
		}
		if ok {
			if len(st.cache) > cacheLimit {
				st.cache = map[int64]tlog.Hash{}
			}
			for i, h := range hashes {
				st.cache[i] = h
			}
			st.next += int64(len(batch))
			return nil
		}
		st.next = cur
	}
	return fail("append", errors.New("too much contention on the log counter"))
}

// prepare numbers the batch from st.next, encodes and hashes each entry, and
// returns the script's arguments and the new stored hashes by index.
func (l *Log) prepare(ctx context.Context, st *stream, batch []*pending) ([]any, map[int64]tlog.Hash, error) {
	n := st.next
	fresh := map[int64]tlog.Hash{}
	r := &hashReader{ctx: ctx, c: l.c, key: st.key, known: []map[int64]tlog.Hash{fresh, st.cache}}
	args := make([]any, 0, 6+3*len(batch))
	args = append(args, n, l.owner, len(batch))
	tree := make([]byte, 0, 2*tlog.HashSize*len(batch))
	var leaf string
	for i, p := range batch {
		p.e.Index, p.e.LeafHash = n+int64(i), ""
		doc, err := Canonical(*p.e)
		if err != nil {
			return nil, nil, err
		}
		h := tlog.RecordHash(doc)
		leaf = fmt.Sprintf("%x", h[:])
		p.e.LeafHash = leaf
		stored, err := tlog.StoredHashesForRecordHash(p.e.Index, h, r)
		if err != nil {
			return nil, nil, fmt.Errorf("tree hashes: %w", err)
		}
		base := tlog.StoredHashCount(p.e.Index)
		for j, sh := range stored {
			fresh[base+int64(j)] = sh
			tree = append(tree, sh[:]...)
		}
		args = append(args, doc, leaf, p.e.ID)
	}
	args = append(args, tlog.StoredHashCount(n)*tlog.HashSize, tree, leaf)
	return args, fresh, nil
}

// batchScript appends a batch if the counter equals the expected index and
// no other process holds the turn at that index.
// KEYS: head, stream, tree, ids. ARGV: the expected index n, the owner, the
// count k, then doc, leaf, id of each entry, then the expected length of
// the tree string, the new stored hashes and the batch's last leaf.
// It returns {1, n} once the batch is in the log (also for a replay of the
// last batch, recognised by its last leaf), {0, counter} on a conflict, and
// an error when the tree string is out of step with the counter.
var batchScript = redis.NewScript(`
local n = redis.call('HGET', KEYS[1], 'n') or '0'
local cur = tonumber(n)
local want = tonumber(ARGV[1])
local k = tonumber(ARGV[3])
local tail = 4 + 3 * k
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local turn = n .. ':'
local claim = redis.call('HGET', KEYS[1], 'turn')
local live = claim and now < tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local claimed = live and string.sub(claim, 1, #turn) == turn
if cur == want and not (claimed and claim ~= turn .. ARGV[2]) then
  if redis.call('STRLEN', KEYS[3]) ~= tonumber(ARGV[tail]) then
    return redis.error_reply('audit tree out of step with the log')
  end
  for i = 0, k - 1 do
    local b = 4 + 3 * i
    redis.call('XADD', KEYS[2], '0-' .. (want + i + 1), 'entry', ARGV[b], 'leaf', ARGV[b + 1])
    redis.call('HSET', KEYS[4], ARGV[b + 2], want + i)
  end
  redis.call('APPEND', KEYS[3], ARGV[tail + 1])
  redis.call('HSET', KEYS[1], 'n', cur + k, 'leaf', ARGV[tail + 2])
  if claim then redis.call('HDEL', KEYS[1], 'turn', 'until') end
  return {1, want}
end
if cur == want + k and redis.call('HGET', KEYS[1], 'leaf') == ARGV[tail + 2] then
  return {1, want}
end
if not claimed then
  redis.call('HSET', KEYS[1], 'turn', turn .. ARGV[2], 'until', now + 200)
end
return {0, cur}
`)

func runBatch(ctx context.Context, c redis.UniversalClient, key string, args []any) (ok bool, cur int64, err error) {
	res, err := batchScript.Run(ctx, c, []string{key + ":head", key, key + ":tree", key + ":ids"}, args...).Slice()
	if err != nil {
		return false, 0, err
	}
	if len(res) != 2 {
		return false, 0, errors.New("unexpected script reply")
	}
	cur, isInt := res[1].(int64)
	if !isInt {
		return false, 0, errors.New("unexpected script reply")
	}
	if n, _ := res[0].(int64); n == 1 {
		return true, cur, nil
	}
	return false, cur, nil
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

// hashReader reads stored hashes: from the maps in known first, then from
// the tree string in one pipelined round trip.
type hashReader struct {
	ctx   context.Context
	c     redis.UniversalClient
	key   string
	known []map[int64]tlog.Hash
}

func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int
	for i, x := range indexes {
		found := false
		for _, m := range r.known {
			if h, ok := m[x]; ok {
				out[i], found = h, true
				break
			}
		}
		if !found {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(missing))
	for j, i := range missing {
		off := indexes[i] * tlog.HashSize
		cmds[j] = pipe.GetRange(r.ctx, r.key+":tree", off, off+tlog.HashSize-1)
	}
	if _, err := pipe.Exec(r.ctx); err != nil {
		return nil, err
	}
	for j, i := range missing {
		b := cmds[j].Val()
		if len(b) != tlog.HashSize {
			return nil, errors.New("stored hash " + strconv.FormatInt(indexes[i], 10) + " missing")
		}
		copy(out[i][:], b)
	}
	return out, nil
}
