// Package plan is the plan language shared by the Redis adapters: a
// write to the store, planned but not performed, that the audit log performs
// in the same Lua call as the audit entry that allows it.
//
// # Why
//
// A record and its audit entry must be stored together or not at all. The
// store (internal/redis/store) knows which keys a write touches; the audit log
// (internal/redis/audit) owns the one script that appends entries. The two do
// not import each other, so the store describes its write as a Plan — data,
// no Redis client — and the broker hands the Plan to the audit log with the
// entry (broker.Committer), as an opaque broker.Write. This package is
// internal to internal/redis: Go lets only the store and the audit log import
// it, so the plan language is a contract between those two alone. The audit log's batch script then, for each entry
// of a batch, runs the entry's checks, applies its operations and appends the
// entry, all in one script run: Redis runs a script alone, so no other client
// sees (or makes) a state in between, and either both land or neither does.
//
// # Checks and operations
//
// A Plan is a list of Checks, the preconditions the write was planned under
// ("this case id does not exist", "this alias maps to nothing or to ref X",
// "the data key is still the one the record was sealed under"), and a list of
// Ops, plain Redis write commands from a short list (CmdTypes). The checks
// also cover every key an op writes: it must not exist or have the type the
// command needs, and a counter INCR or HINCRBY adds to must hold an integer
// (Validate refuses, before anything runs, what else an op could fail on).
// Redis does not roll back a script that fails half way, so nothing may fail
// once the first write is done: every check (types and counters included)
// runs before the first op of the entry, and an entry whose check
// fails gets no op and no audit entry; the other entries of the batch go on.
// A failed check has an Outcome: Stale (the data changed since the plan was
// made: plan again) or Conflict (final, e.g. a duplicate id).
//
// # Redis Cluster
//
// Every key of a Plan must carry the hash tag of its cell, {livc:<cell>},
// the tag of the cell's audit stream: Validate refuses any other key, and the
// executor declares every key in KEYS, so the script touches one slot.
//
// # Encoding
//
// Encode flattens a Plan into script arguments; Lua holds the functions that
// read them (plan_check and plan_apply), to be included in the executing
// script. The layout of one plan, each item one ARGV string:
//
//	nchecks, nops,
//	per check: kind, key index, field, absent-ok (0|1), n, nvalues, values…
//	per op:    command, key index, ref, nargs, args…
//
// A key index is 1-based into KEYS; ref, when above 0, is the 1-based index of
// an earlier op of the plan whose reply goes first in the op's arguments (the
// sequence number INCR returned, for the ZADD that follows).
package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Outcome is what a failed check means.
type Outcome int

const (
	// Stale: what the plan was made from has changed; plan again.
	Stale Outcome = iota
	// Conflict: the write cannot be done (a duplicate id, say).
	Conflict
)

// The kinds of check.
const (
	// KindAbsent holds when Key does not exist.
	KindAbsent = "absent"
	// KindEqual holds when the string at Key equals Values[0], or when Key
	// does not exist and AbsentOK.
	KindEqual = "equal"
	// KindField holds when field Field of the hash at Key is absent and
	// AbsentOK, or present and equal to one of Values (any value when
	// Values is empty).
	KindField = "field"
	// KindNoField holds when field Field of the hash at Key is absent.
	KindNoField = "nofield"
	// KindCount holds when the set, hash, list or sorted set at Key has N
	// members (0 for a missing key).
	KindCount = "count"
)

// CmdTypes are the commands an Op may run and the type of key each needs
// ("*": any).
var CmdTypes = map[string]string{
	"SET": "string", "INCR": "string",
	"HSET": "hash", "HDEL": "hash", "HINCRBY": "hash",
	"RPUSH": "list",
	"SADD":  "set", "SREM": "set",
	"ZADD": "zset", "ZREM": "zset",
	"DEL": "*",
}

// Check is one precondition of a write.
type Check struct {
	Kind     string
	Key      string
	Field    string
	Values   []string
	AbsentOK bool
	N        int64
	OnFail   Outcome
	// Detail is the client-safe detail of a Conflict.
	Detail string
}

// Op is one Redis write command: Cmd Key [reply of op Ref-1] Args...
type Op struct {
	Cmd  string
	Key  string
	Args []string
	Ref  int
}

// Plan is one write to the store, not yet performed.
type Plan struct {
	// Livc is the cell whose keys the plan touches.
	Livc   string
	Checks []Check
	Ops    []Op
}

// Cell returns the plan's cell (it makes a *Plan a broker.Write).
func (p *Plan) Cell() string { return p.Livc }

// Check adds a check.
func (p *Plan) Check(c Check) { p.Checks = append(p.Checks, c) }

// Do adds an op and returns its ref (for a later op's Ref).
func (p *Plan) Do(cmd, key string, args ...string) int {
	p.Ops = append(p.Ops, Op{Cmd: cmd, Key: key, Args: args})
	return len(p.Ops)
}

// DoWithRef adds an op whose first argument is the reply of op ref.
func (p *Plan) DoWithRef(ref int, cmd, key string, args ...string) {
	p.Ops = append(p.Ops, Op{Cmd: cmd, Key: key, Args: args, Ref: ref})
}

// HashTag is the hash tag of a cell's keys.
func HashTag(livc string) string { return "{livc:" + livc + "}" }

// Validate refuses a plan with no cell, an unknown check kind or command, a
// ref that does not name an earlier INCR (for a ZADD's score), a key outside
// the cell's slot, arguments its command would refuse, or ops that would
// make a later op of the plan fail (validKeyUse): with plan_check, what the
// script cannot find out until it runs an op.
func (p *Plan) Validate() error {
	if p.Livc == "" || strings.ContainsAny(p.Livc, "{}") {
		return errors.New("plan: plan without a valid cell")
	}
	tag := HashTag(p.Livc)
	inSlot := func(k string) bool {
		// The hash tag is the first {...} of the key: it must be the cell's.
		i := strings.IndexByte(k, '{')
		return i >= 0 && strings.HasPrefix(k[i:], tag)
	}
	for _, c := range p.Checks {
		switch c.Kind {
		case KindAbsent, KindEqual, KindField, KindNoField, KindCount:
		default:
			return fmt.Errorf("plan: unknown check %q", c.Kind)
		}
		if c.Kind == KindEqual && len(c.Values) != 1 {
			return errors.New("plan: an equal check needs one value")
		}
		if !inSlot(c.Key) {
			return errors.New("plan: a check's key is outside the cell's slot")
		}
	}
	for i, o := range p.Ops {
		if _, ok := CmdTypes[o.Cmd]; !ok {
			return fmt.Errorf("plan: command %q not allowed", o.Cmd)
		}
		if o.Ref < 0 || o.Ref > i {
			return errors.New("plan: an op's ref does not name an earlier op")
		}
		if o.Ref > 0 && (o.Cmd != "ZADD" || p.Ops[o.Ref-1].Cmd != "INCR") {
			return errors.New("plan: only a ZADD may take a reply, an INCR's, as its score")
		}
		if !inSlot(o.Key) {
			return errors.New("plan: an op's key is outside the cell's slot")
		}
		if err := o.validArgs(); err != nil {
			return err
		}
	}
	return p.validKeyUse()
}

// maxIncrement bounds what a plan adds to one counter, in all: with the
// stored value at most 15 digits (plan_int), no INCR or HINCRBY overflows.
const maxIncrement = 1_000_000_000_000_000

// validArgs refuses arguments its command would reject when the script runs
// it, where an error would come too late (see Lua): the count of arguments,
// a score or increment that is not an integer as Redis reads one. A DEL takes
// no argument, for any would be a key not declared to the script.
func (o Op) validArgs() error {
	n := len(o.Args)
	if o.Ref > 0 {
		n++ // the reply goes first
	}
	ok := false
	switch o.Cmd {
	case "SET":
		ok = n == 1
	case "INCR", "DEL":
		ok = n == 0
	case "HSET":
		ok = n >= 2 && n%2 == 0
	case "HINCRBY":
		ok = n == 2 && redisInt(o.Args[1]) && absInt(o.Args[1]) <= maxIncrement
	case "HDEL", "RPUSH", "SADD", "SREM", "ZREM":
		ok = n >= 1
	case "ZADD":
		ok = n >= 2 && n%2 == 0
		for j := 0; ok && j < len(o.Args); j++ {
			// The scores are at even places of the full argument list.
			if (j+n-len(o.Args))%2 == 0 {
				ok = redisInt(o.Args[j])
			}
		}
	}
	if !ok {
		return fmt.Errorf("plan: arguments that %s refuses", o.Cmd)
	}
	return nil
}

// validKeyUse refuses a plan whose ops would make an op after them fail
// although the stored state passed plan_check, which checks the state before
// the plan's first op: ops on one key needing different types (DEL aside),
// an INCR of a key the plan also SETs, an HINCRBY of a hash it also HSETs,
// and more than maxIncrement added to one key.
func (p *Plan) validKeyUse() error {
	types := map[string]string{}
	cmds := map[string]map[string]bool{}
	added := map[string]int64{}
	for _, o := range p.Ops {
		if cmds[o.Key] == nil {
			cmds[o.Key] = map[string]bool{}
		}
		cmds[o.Key][o.Cmd] = true
		if t := CmdTypes[o.Cmd]; t != "*" {
			if was, ok := types[o.Key]; ok && was != t {
				return errors.New("plan: ops of different types on one key")
			}
			types[o.Key] = t
		}
		switch o.Cmd {
		case "INCR":
			added[o.Key]++
		case "HINCRBY":
			added[o.Key] += absInt(o.Args[1])
		}
		if added[o.Key] > maxIncrement {
			return errors.New("plan: too much added to one counter")
		}
	}
	for _, c := range cmds {
		if (c["INCR"] && c["SET"]) || (c["HINCRBY"] && c["HSET"]) {
			return errors.New("plan: a counter the plan also sets")
		}
	}
	return nil
}

// redisInt is whether s is an integer as Redis reads one: an optional '-',
// digits without a leading zero (or "0"), within int64.
func redisInt(s string) bool {
	if s == "0" {
		return true
	}
	d := strings.TrimPrefix(s, "-")
	if d == "" || d[0] < '1' || d[0] > '9' || strings.Trim(d, "0123456789") != "" {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// absInt is the absolute value of an integer redisInt accepted, capped at
// maxIncrement+1.
func absInt(s string) int64 {
	v, _ := strconv.ParseInt(strings.TrimPrefix(s, "-"), 10, 64)
	return min(v, maxIncrement+1)
}

// Keys returns every key the plan reads or writes, each once, in order.
func (p *Plan) Keys() []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, c := range p.Checks {
		add(c.Key)
	}
	for _, o := range p.Ops {
		add(o.Key)
	}
	return out
}

// Encode appends the plan's arguments (see the package doc) to args; index
// returns the 1-based KEYS index of a key.
func (p *Plan) Encode(args []any, index func(key string) int) []any {
	args = append(args, len(p.Checks), len(p.Ops))
	for _, c := range p.Checks {
		ok := "0"
		if c.AbsentOK {
			ok = "1"
		}
		args = append(args, c.Kind, index(c.Key), c.Field, ok, strconv.FormatInt(c.N, 10), len(c.Values))
		for _, v := range c.Values {
			args = append(args, v)
		}
	}
	for _, o := range p.Ops {
		args = append(args, o.Cmd, index(o.Key), o.Ref, len(o.Args))
		for _, a := range o.Args {
			args = append(args, a)
		}
	}
	return args
}

// EncodedLen is the number of arguments Encode adds.
func (p *Plan) EncodedLen() int {
	n := 2
	for _, c := range p.Checks {
		n += 6 + len(c.Values)
	}
	for _, o := range p.Ops {
		n += 4 + len(o.Args)
	}
	return n
}
