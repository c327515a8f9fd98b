// Package store keeps the broker's subjects, sealed records and dossiers
// in Redis. It implements broker.Store.
//
// # Key layout
//
// Every key of a cell starts with livc:{livc:<cell>}: so that the hash tag
// {livc:<cell>} puts all of one cell's keys (these, and the audit stream of
// internal/redis/audit) in one Redis Cluster hash slot, where a script or a
// MULTI may touch several of them at once.
//
//	livc:{livc:<cell>}:aliases                  hash   alias -> subject ref
//	livc:{livc:<cell>}:subject:<ref>:aliases    set    the aliases linked to ref
//	livc:{livc:<cell>}:subject:<ref>:datakey    string the wrapped data key
//	livc:{livc:<cell>}:subject:<ref>:records    hash   record id -> sealed bytes
//	livc:{livc:<cell>}:subject:<ref>:record-ids list   record ids, oldest first
//	livc:{livc:<cell>}:subject:<ref>:cases      set    ids of dossiers about ref
//	livc:{livc:<cell>}:case:<id>                string the dossier, JSON
//	livc:{livc:<cell>}:cases                    zset   dossier ids by creation sequence
//	livc:{livc:<cell>}:cases:seq                string the last creation sequence
//	livc:{livc:<cell>}:actor:<id>:cases         zset   open dossiers whose roster holds actor id, by creation sequence
//	livc:{livc:<cell>}:stats:cases              hash   state:<s>, category:<c>, priority:<p|none> -> count
//	livc:{livc:<cell>}:stats:signals            hash   YYYY-MM -> signals received that month
//	livc:{livc:<cell>}:stats:signals:source     hash   YYYY-MM/<actor> -> that actor's signals of the month (kept since
//	                                                   the stats left the requester's own out; older months have none)
//	livc:{livc:<cell>}:signal:<id>, signals…    the coordinator's intake (intake.go)
//	livc:{livc:<cell>}:envelopes                hash   envelope digest -> its submitter, record and ref, or "spent" (intake.go)
//
// Keys and values hold pseudonyms only: aliases and subject refs arrive
// already keyed (HMAC) from the caller, dossiers name their subject by ref,
// and records are sealed. A name or a national number never reaches this
// package.
//
// The broker writes only through plans (the Plan* methods, in the plan
// language of internal/redis/internal/plan; plans.go states the contract):
// the store plans a write without performing it, and the audit log performs
// it in the same Lua call as the allow entry, so a record never exists without
// its entry nor an entry without its write. The direct write methods
// (LinkSubject, DataKey, PutRecord, CreateCase, UpdateCase, CountSignal,
// EraseSubject) are not part of broker.Store any more; they remain for tests
// and tools, and write without an audit entry. Writes that touch several
// keys run as one Lua script, so a crash or a concurrent broker process never
// sees half of them. Missing items are
// broker.ErrNotFound (returned as is, not wrapped); a Redis failure is a
// broker.Error of KindUnavailable whose cause (for the log) names the
// operation, never a key or a value; an invalid argument (empty or
// brace-holding cell id, empty ref, id or payload) is a plain error, a
// caller's bug.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// Store is a broker.Store on Redis. It is safe for concurrent use and keeps no
// state of its own: several broker processes may share one Redis. The reads
// of the hot path go through a pipeline of their cell's (pipe.go).
type Store struct {
	c       redis.UniversalClient
	pipes   sync.Map // cell key prefix -> *readPipe
	rosters rosterCache
}

var _ broker.Store = (*Store)(nil)

// New returns a Store on c. Closing c is the caller's business.
func New(c redis.UniversalClient) *Store { return &Store{c: c} }

// reads returns the read pipeline of the cell whose keys start with prefix.
func (s *Store) reads(prefix string) *readPipe {
	if p, ok := s.pipes.Load(prefix); ok {
		return p.(*readPipe)
	}
	p, _ := s.pipes.LoadOrStore(prefix, newReadPipe(s.c))
	return p.(*readPipe)
}

// ErrExists is the cause of the error CreateCase returns for an id in use.
var ErrExists = errors.New("store: already exists")

// Ping reports whether Redis answers and its ACL lets the broker's user run
// every command the broker runs, on the broker's keys: every write and most
// reads are Lua scripts (EVALSHA, loaded with SCRIPT LOAD, EVAL when Redis
// lost them), run as MULTI/EXEC or in scripts, so a user whose ACL lacks one
// answers PING but fails some requests. The error's detail, which /readyz
// shows, names what is missing (never the user). docs/deploy.md lists the
// ACL; TestACLFileAgrees holds deploy/users.acl to ACLCommands.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fail("ping", err)
	}
	if err := probeScript.Load(ctx, s.c).Err(); err != nil {
		return scriptsRefused(err)
	}
	if err := probeScript.EvalSha(ctx, s.c, nil).Err(); err != nil {
		return scriptsRefused(err)
	}
	return s.probeACL(ctx)
}

// probeScript is what Ping runs first: nothing, but through the commands the
// broker's scripts need.
const probeSource = "return 1"

var probeScript = redis.NewScript(probeSource)

// scriptsRefused is Ping's error when the scripts cannot run; its detail,
// which /readyz shows, says why without naming the user.
func scriptsRefused(err error) error {
	return broker.Wrap(broker.KindUnavailable, fmt.Errorf("store: run a script (the Redis ACL user needs @scripting): %w", err),
		"store unavailable: the broker's Redis user may not run its scripts")
}

// cellPrefix returns the key prefix of a cell, refusing ids that would break
// the hash tag.
func cellPrefix(livc string) (string, error) {
	if livc == "" || strings.ContainsAny(livc, "{}") {
		return "", errors.New("store: invalid cell id")
	}
	return "livc:{livc:" + livc + "}:", nil
}

// subjectPrefix returns the prefix of a subject's keys.
func subjectPrefix(livc, ref string) (string, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return "", err
	}
	if ref == "" {
		return "", errors.New("store: empty subject ref")
	}
	return p + "subject:" + ref + ":", nil
}

// fail wraps a Redis failure: the detail is client-safe, the cause names the
// operation only.
func fail(op string, err error) error {
	return broker.Wrap(broker.KindUnavailable, fmt.Errorf("store: %s: %w", op, err), "store unavailable")
}
