// Package redisaudit keeps the broker's audit log in Redis streams. It
// implements broker.Auditor.
//
// # Layout
//
// One stream per cell, and one for entries of no verified cell (such as a
// failed authentication), each with a small head hash:
//
//	livc:{livc:<cell>}:audit        stream  one entry per message: fields "entry", "leaf"
//	livc:{livc:<cell>}:audit:head   hash    n (next index), leaf and sid of the last
//	                                        entry, turn and until of a waiting process
//	livc:{livc:_broker}:audit       the same, for entries with Livc == ""
//
// The hash tag {livc:<cell>} is the one internal/redisstore uses, so a cell's
// audit stream and its data share a Redis Cluster slot.
//
// # Entries and leaf hashes
//
// "entry" holds the canonical JSON of the entry: encoding/json of
// broker.AuditEntry with its Index set, LeafHash empty (and so omitted), Time
// in UTC. "leaf" holds the entry's leaf hash, hex SHA-256(0x00 || entry), the
// RFC 6962 leaf hash of its Merkle tree. A verifier hashes the stored bytes
// as they are; it never needs to re-encode an entry, so the hash survives any
// later change to the Go types.
//
// # Why compare-and-set
//
// The leaf hash covers the index, so the index must be known before hashing,
// and hashing is done in Go (not in Lua) so that the code that writes leaves
// is the code that verifies them. Append therefore works in two steps that
// stay atomic: it guesses the next index (cached per stream, 0 at first),
// hashes, and runs one Lua script that appends only if the head's counter
// still equals the guess, incrementing it in the same step; on a mismatch the
// script returns the current counter and Append retries with it. Within one
// process appends to a stream are serialised, so a retry happens only when
// another broker process appended in between; the log stays gapless and
// strictly ordered however many processes append. A process that loses the
// race claims the next turn (for 200ms, honoured by the script), so a busy
// process cannot starve another. A script whose reply was
// lost (network) and that go-redis retries is recognised by its leaf hash
// and answered with the entry already written, never written twice.
package redisaudit

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// BrokerStream is the stream of entries that belong to no cell.
const BrokerStream = "livc:{livc:_broker}:audit"

// Log is a broker.Auditor on Redis streams. It is safe for concurrent use;
// several processes may append to the same streams.
type Log struct {
	c     redis.UniversalClient
	owner string // random, tells this Log's claims from other processes'
	// brokerStream is BrokerStream; tests point it elsewhere so as not to
	// write to a shared Redis's real broker stream.
	brokerStream string

	mu      sync.Mutex
	streams map[string]*stream // by stream key

	// maxWait bounds the time one Append spends losing the counter to other
	// processes; with turn claims (200ms) it is reached only if Redis
	// misbehaves.
	maxWait time.Duration
	// chunk and scanBudget bound the work of one List page (see List).
	chunk, scanBudget int
}

// stream serialises this process's appends to one stream and remembers its
// next index.
type stream struct {
	turn chan struct{} // a lock that a canceled context can give up waiting for
	next int64         // guarded by turn
}

var _ broker.Auditor = (*Log)(nil)

// New returns a Log on c. Closing c is the caller's business.
func New(c redis.UniversalClient) *Log {
	b := make([]byte, 8)
	crand.Read(b)
	return &Log{c: c, owner: hex.EncodeToString(b), brokerStream: BrokerStream, streams: map[string]*stream{}, maxWait: 2 * time.Second, chunk: 500, scanBudget: 10_000}
}

// StreamKey returns the stream of a cell, or BrokerStream for "". It refuses
// ids that would break the hash tag or collide with the broker stream.
func StreamKey(livc string) (string, error) {
	if livc == "" {
		return BrokerStream, nil
	}
	if strings.ContainsAny(livc, "{}") || strings.HasPrefix(livc, "_") {
		return "", errors.New("redisaudit: invalid cell id")
	}
	return "livc:{livc:" + livc + "}:audit", nil
}

func (l *Log) streamKey(livc string) (string, error) {
	if livc == "" {
		return l.brokerStream, nil
	}
	return StreamKey(livc)
}

// Canonical returns the bytes that are stored and hashed for e: its JSON with
// LeafHash empty and Time in UTC. It does not change e.
func Canonical(e broker.AuditEntry) ([]byte, error) {
	e.LeafHash = ""
	e.Time = e.Time.UTC()
	return json.Marshal(e)
}

// LeafHash returns the RFC 6962 leaf hash of stored entry bytes, hex:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) string {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(entry)
	return hex.EncodeToString(h.Sum(nil))
}

// appendScript appends an entry if the counter equals the expected index
// and no other process holds the turn at that index.
// KEYS[1] the head, KEYS[2] the stream; ARGV[1] the expected index, ARGV[2]
// the entry JSON, ARGV[3] its leaf hash, ARGV[4] the appending Log's owner
// id. It returns {1, stream id} once the entry is in the log (also for a
// replay of the last append, recognised by its leaf hash), or {0, current
// counter} on a conflict. A process that loses claims the turn at the
// current index for 200ms (head fields turn = "<index>:<owner>", until =
// server time in ms), so another process's tight loop of appends cannot
// starve it. Expiry uses the server's TIME, not a key TTL, which the
// embedded miniredis would not expire on its own.
var appendScript = redis.NewScript(`
local n = redis.call('HGET', KEYS[1], 'n') or '0'
local cur = tonumber(n)
local want = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local turn = n .. ':'
local claim = redis.call('HGET', KEYS[1], 'turn')
local live = claim and now < tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local claimed = live and string.sub(claim, 1, #turn) == turn
if cur == want and not (claimed and claim ~= turn .. ARGV[4]) then
  local sid = redis.call('XADD', KEYS[2], '*', 'entry', ARGV[2], 'leaf', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'n', 1)
  redis.call('HSET', KEYS[1], 'leaf', ARGV[3], 'sid', sid)
  if claim then redis.call('HDEL', KEYS[1], 'turn', 'until') end
  return {1, sid}
end
if cur == want + 1 and redis.call('HGET', KEYS[1], 'leaf') == ARGV[3] then
  return {1, redis.call('HGET', KEYS[1], 'sid')}
end
if not claimed then
  redis.call('HSET', KEYS[1], 'turn', turn .. ARGV[4], 'until', now + 200)
end
return {0, cur}
`)

// Append writes e to its stream and sets e.Index and e.LeafHash (and e.Time
// to now if zero; Time is stored in UTC). It returns nil only once Redis has
// acknowledged the entry; on an error the entry is not in the log (or, after
// a lost reply, may be there once, never twice) and e.Index and e.LeafHash
// are left zero.
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
	st := l.stream(key)
	select {
	case st.turn <- struct{}{}:
		defer func() { <-st.turn }()
	case <-ctx.Done():
		return fail("append", ctx.Err())
	}
	deadline := time.Now().Add(l.maxWait)
	for attempt := 0; attempt == 0 || time.Now().Before(deadline); attempt++ {
		if attempt > 2 {
			if err := backoff(ctx, attempt); err != nil {
				e.Index = 0
				return fail("append", err)
			}
		}
		e.Index, e.LeafHash = st.next, ""
		doc, err := Canonical(*e)
		if err != nil {
			e.Index = 0
			return fmt.Errorf("redisaudit: append: %w", err)
		}
		leaf := LeafHash(doc)
		ok, cur, err := runAppend(ctx, l.c, l.owner, key, st.next, doc, leaf)
		if err != nil {
			e.Index = 0
			return fail("append", err)
		}
		if ok {
			e.LeafHash = leaf
			st.next++
			return nil
		}
		st.next = cur
	}
	e.Index = 0
	return fail("append", errors.New("too much contention on the stream counter"))
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

func runAppend(ctx context.Context, c redis.UniversalClient, owner, key string, want int64, doc []byte, leaf string) (ok bool, cur int64, err error) {
	res, err := appendScript.Run(ctx, c, []string{key + ":head", key}, want, doc, leaf, owner).Slice()
	if err != nil {
		return false, 0, err
	}
	if len(res) != 2 {
		return false, 0, errors.New("unexpected script reply")
	}
	if n, _ := res[0].(int64); n == 1 {
		return true, 0, nil
	}
	cur, isInt := res[1].(int64)
	if !isInt {
		return false, 0, errors.New("unexpected script reply")
	}
	return false, cur, nil
}

func (l *Log) stream(key string) *stream {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.streams[key]
	if st == nil {
		st = &stream{turn: make(chan struct{}, 1)}
		l.streams[key] = st
	}
	return st
}

// Ping reports whether Redis answers.
func (l *Log) Ping(ctx context.Context) error {
	if err := l.c.Ping(ctx).Err(); err != nil {
		return fail("ping", err)
	}
	return nil
}

// fail wraps a Redis failure: the detail is client-safe, the cause names the
// operation only.
func fail(op string, err error) error {
	return broker.Wrap(broker.KindUnavailable, fmt.Errorf("redisaudit: %s: %w", op, err), "audit log unavailable")
}
