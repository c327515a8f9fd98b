// Package audit keeps the broker's audit log in Redis streams, as a
// verifiable log: an RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog) over
// the entries, with signed checkpoints. It implements broker.Auditor and
// broker.AuditProver.
//
// # Layout
//
// One log per cell, and one for entries of no verified cell (such as a
// failed authentication), all keys of a log in one hash slot:
//
//	livc:{livc:<cell>}:audit              stream  entry i has id 0-(i+1), fields "entry", "leaf"
//	livc:{livc:<cell>}:audit:head         hash    n (the size), leaf of the last entry,
//	                                              turn and until of a waiting process, cp
//	                                              (size of the last checkpoint pushed)
//	livc:{livc:<cell>}:audit:tile:<L>:<N> string  tile N of level L (C2SP tlog-tiles, height
//	                                              8): the tree's hashes of level 8L from 256N,
//	                                              32 bytes each, at most 256 (tiles.go)
//	livc:{livc:<cell>}:audit:ids          hash    audit id -> index
//	livc:{livc:<cell>}:audit:checkpoints  list    signed checkpoints, oldest first
//	livc:{livc:<cell>}:audit:cosignatures hash    witness name -> "<size>\n<its cosignature line>",
//	                                              the last cosignature each witness gave
//	livc:{livc:_broker}:audit…            the same, for entries with Livc == ""
//
// The hash tag {livc:<cell>} is the one the store (internal/redis/store) uses, so a cell's
// log and its data share a Redis Cluster slot. No key of a log grows past
// 8 KiB but the stream, the ids and the checkpoints (thinned): an append
// costs the same at any size. A log kept by an older version in one string
// (livc:{livc:<cell>}:audit:tree) is moved into tiles on start (Migrate);
// until then appends to it fail closed.
// The log is never trimmed: nothing here deletes an entry or a hash. The
// list of checkpoints is thinned to a bounded density (auditlog.Thin): the
// latest KeepCheckpoints, and one per size class of older ones.
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
// # Batched compare-and-set
//
// The leaf hash covers the index, and the tree hashes cover every leaf, so
// the index must be known before hashing, and hashing is done in Go (Redis
// Lua has no SHA-256; and the code that writes leaves is the code that
// verifies them). Each log has one batcher goroutine per process: it takes
// every Append waiting, guesses the next index, computes the entries' leaf
// and tree hashes, and runs one Lua script that appends the whole batch (the
// stream entries, the stored hashes, the ids, the new head) only if the
// head's counter still equals the guess. On a mismatch (another process
// appended meanwhile) the script returns the current counter and the batch
// is hashed again from there. A process that loses the race claims the next
// turn (for 200ms, honoured by the script), so a busy process cannot starve
// another. A script whose reply was lost (network) and that go-redis retries
// is recognised by its last leaf hash and answered as written, never written
// twice. Each Append returns only once the batch holding its entry is in
// Redis; concurrent requests thus share one round trip.
//
// # Entries with their writes
//
// Commit is Append with a write: a plan.Plan of the entry's cell (keys
// all in its slot, declared in KEYS). The batch script checks the type of
// the log's keys first (an error there writes nothing), then, for each
// entry in order, runs the plan's checks (preconditions, the type of every
// key it writes, the value of every counter it adds to), and only if they
// all hold applies its ops and appends the entry: the write and its entry
// land together or not at all. An entry whose check fails stops the run
// there; the entries before it are in, it is answered with its failure
// (broker.ErrStale, a conflict, or KindInternal for a key or counter the
// write cannot use), and the entries after it are numbered and hashed again
// and go on in the next run. A replayed run is
// recognised by the head's leaf at any point of the batch and resumes after
// what was written.
package audit

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/jsonenc"
)

// BrokerStream is the stream of entries that belong to no cell.
const BrokerStream = "livc:{livc:_broker}:audit"

// Log is a broker.Auditor and broker.AuditProver on Redis streams. It is
// safe for concurrent use; several processes may append to the same logs.
type Log struct {
	c     redis.UniversalClient
	conf  Conf
	owner string // random, tells this Log's claims from other processes'
	// brokerStream is BrokerStream; tests point it elsewhere so as not to
	// write to a shared Redis's real broker stream.
	brokerStream string

	mu      sync.Mutex
	streams map[string]*stream             // by stream key
	signed  map[string]auditlog.Checkpoint // the last checkpoint this process signed, by stream key
	signMu  sync.Mutex                     // held while a checkpoint is signed and pushed

	// maxWait bounds the time one batch spends losing the counter to other
	// processes; with turn claims (200ms) it is reached only if Redis
	// misbehaves.
	maxWait time.Duration
	// chunk and scanBudget bound the work of one List page (see List).
	chunk, scanBudget int
}

// Conf holds a Log's settings. The zero value appends in batches but cannot
// sign checkpoints.
type Conf struct {
	// Signer signs checkpoints and Verifier checks them (the broker's
	// checkpoint key, golang.org/x/mod/sumdb/note). Without them the
	// checkpoint, proof and verify operations fail.
	Signer   note.Signer
	Verifier note.Verifier
	// KeepCheckpoints is how many of the latest signed checkpoints are
	// always kept; older ones are thinned to a bounded density (see
	// auditlog.Thin). Default 32.
	KeepCheckpoints int
	// MaxBatch bounds the entries of one round trip; default 256. 1 turns
	// batching off (one round trip per entry), for comparison.
	MaxBatch int
	// Logger reports checkpoints refused; default slog.Default().
	Logger *slog.Logger
	// Witness, when set, keeps the last signed checkpoint of each log
	// outside Redis (see Witness): a checkpoint is recorded there before it
	// is pushed, and no tree that does not extend it is signed.
	Witness Witness
	// Cosigners are, by cell id, the verifiers of the cell's outside
	// witnesses (internal/witness): Checkpoint adds to the note it returns
	// every cosignature kept for it that one of them verifies.
	Cosigners map[string][]note.Verifier
	// Published, when set, is called with each checkpoint pushed, by cell
	// id, to hand it to the witnesses. It must not block: it is called
	// while the checkpoint lock is held, on a request's path.
	Published func(livc string, signed []byte)
}

var (
	_ broker.Auditor     = (*Log)(nil)
	_ broker.AuditProver = (*Log)(nil)
)

// New returns a Log on c with the default Conf. Closing c is the caller's
// business.
func New(c redis.UniversalClient) *Log { return NewWith(c, Conf{}) }

// NewWith returns a Log on c with conf.
func NewWith(c redis.UniversalClient, conf Conf) *Log {
	if conf.MaxBatch <= 0 {
		conf.MaxBatch = 256
	}
	if conf.Logger == nil {
		conf.Logger = slog.Default()
	}
	if conf.KeepCheckpoints <= 0 {
		conf.KeepCheckpoints = 32
	}
	b := make([]byte, 8)
	crand.Read(b)
	return &Log{c: c, conf: conf, owner: hex.EncodeToString(b), brokerStream: BrokerStream,
		streams: map[string]*stream{}, signed: map[string]auditlog.Checkpoint{},
		maxWait: 2 * time.Second, chunk: 500, scanBudget: 10_000}
}

// StreamKey returns the stream of a cell, or BrokerStream for "". It refuses
// ids that would break the hash tag or collide with the broker stream.
func StreamKey(livc string) (string, error) {
	if livc == "" {
		return BrokerStream, nil
	}
	if strings.ContainsAny(livc, "{}") || strings.HasPrefix(livc, "_") {
		return "", errors.New("audit: invalid cell id")
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

// canonicalHead returns Canonical(e) up to the value of its index, so that
// the batcher, which numbers entries one after the other, need only append
// the index (canonicalAt): the encoding is done by the appending goroutine,
// in parallel with the others, not by the batcher while the batch waits.
//
// It writes the fields by hand, in AuditEntry's order, byte for byte what
// json.Marshal writes (TestCanonicalAt, FuzzCanonicalAt, and a test that
// sets every field by reflection): encoding/json's reflection was a
// thirtieth of a card read's CPU. A field added to AuditEntry fails those
// tests until it is written here too.
func canonicalHead(e broker.AuditEntry) ([]byte, error) {
	b := make([]byte, 0, 384+32*(len(e.Released)+len(e.Withheld)))
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, e.ID)
	b = append(b, `,"time":"`...)
	b, err := e.Time.UTC().AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("audit: an audit entry's time: %w", err)
	}
	b = append(b, '"')
	for _, f := range [...]struct {
		name, value string
	}{
		{`,"request_id":`, e.RequestID}, {`,"livc":`, e.Livc}, {`,"actor":`, e.Actor}, {`,"sub":`, e.Sub},
		{`,"action":`, e.Action}, {`,"purpose":`, e.Purpose}, {`,"subject_ref":`, e.SubjectRef}, {`,"case_id":`, e.CaseID},
	} {
		b = jsonenc.AppendString(append(b, f.name...), f.value)
	}
	if e.Record != "" {
		b = jsonenc.AppendString(append(b, `,"record":`...), e.Record)
	}
	b = jsonenc.AppendString(append(b, `,"decision":`...), e.Decision)
	b = jsonenc.AppendStrings(append(b, `,"released":`...), e.Released)
	b = jsonenc.AppendStrings(append(b, `,"withheld":`...), e.Withheld)
	b = jsonenc.AppendString(append(b, `,"policy_revision":`...), e.PolicyRevision)
	b = jsonenc.AppendString(append(b, `,"reason":`...), e.Reason)
	if e.Unverified {
		b = append(b, `,"unverified":true`...)
	}
	if e.Client != "" {
		b = jsonenc.AppendString(append(b, `,"client":`...), e.Client)
	}
	return append(b, `,"index":`...), nil
}

// canonicalAt is Canonical of the entry of head (canonicalHead) at index i,
// in a new slice.
func canonicalAt(head []byte, i int64) []byte {
	doc := make([]byte, 0, len(head)+21)
	doc = append(doc, head...)
	doc = strconv.AppendInt(doc, i, 10)
	return append(doc, '}')
}

// LeafHash returns the RFC 6962 leaf hash of stored entry bytes, hex:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) string {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(entry)
	return hex.EncodeToString(h.Sum(nil))
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
	return broker.Wrap(broker.KindUnavailable, fmt.Errorf("audit: %s: %w", op, err), "audit log unavailable")
}
