package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
)

// ACLCommands is every command the broker sends Redis, directly or from its
// Lua scripts, in lower case as an ACL rule names it: what the broker's
// Redis user must be allowed (deploy/users.acl grants exactly these, on
// livc:*). AUTH and HELLO, which every user may send, and CLIENT SETINFO,
// whose refusal the client ignores, are not in it.
var ACLCommands = []string{
	"ping", "select", "multi", "exec", "evalsha", "eval", "script|load",
	"get", "set", "del", "exists", "type", "strlen", "getrange", "setrange", "append", "incr", "mget", "getdel", "pexpire",
	"hget", "hset", "hsetnx", "hdel", "hexists", "hgetall", "hmget", "hincrby", "hlen",
	"rpush", "lrange", "llen", "lrem",
	"sadd", "srem", "smembers", "sismember", "scard",
	"zadd", "zrem", "zscore", "zrange", "zcard", "zrangebyscore", "zrevrangebyscore",
	"xadd", "xlen", "xrange", "xrevrange",
	"scan", "time",
}

// ACLKeyPattern is the one key pattern the broker's user needs: every key
// the broker writes or reads starts with it.
const ACLKeyPattern = "livc:*"

// aclProbeKeys are the keys the ACL probe uses (lua/acl_probe.lua): a
// string and a hash it creates once and never changes, and one that never
// exists. One hash tag: one slot in a cluster.
var aclProbeKeys = []string{"livc:{probe}:string", "livc:{probe}:hash", "livc:{probe}:none"}

//go:embed lua/acl_probe.lua
var aclProbeLua string

var aclProbeScript = redis.NewScript(aclProbeLua)

// probeACL tries what the broker runs from the client (EVAL, MULTI/EXEC)
// and runs the ACL probe for the rest; it returns an unavailable error
// naming every command refused.
func (s *Store) probeACL(ctx context.Context) error {
	var cmds, causes []string
	refused := func(cmd string, err error) {
		cmds = append(cmds, cmd)
		causes = append(causes, cmd+": "+err.Error())
	}
	if err := s.c.Eval(ctx, probeSource, nil).Err(); err != nil {
		refused("EVAL", err)
	}
	if _, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Exists(ctx, aclProbeKeys[2])
		return nil
	}); err != nil {
		refused("MULTI/EXEC", err)
	}
	res, err := aclProbeScript.Run(ctx, s.c, aclProbeKeys).StringSlice()
	switch {
	case err != nil && strings.Contains(err.Error(), "NOPERM"):
		return broker.Wrap(broker.KindUnavailable, fmt.Errorf("store: ACL probe: %w", err),
			"store unavailable: the broker's Redis user may not use the broker's keys (it needs ~"+ACLKeyPattern+")")
	case err != nil:
		return fail("ACL probe", err)
	}
	if len(res) == 2 && res[0] == "probe keys" {
		// Not the ACL: someone changed the probe's keys. The log names
		// them; /readyz says no key name.
		return broker.Wrap(broker.KindUnavailable, fmt.Errorf("store: ACL probe: %s", res[1]),
			"store unavailable: the ACL probe's own keys are not as it left them (the log names them)")
	}
	for i := 0; i+1 < len(res); i += 2 {
		refused(res[i], errors.New(res[i+1]))
	}
	if len(cmds) == 0 {
		return nil
	}
	slices.Sort(cmds)
	return broker.Wrap(broker.KindUnavailable,
		fmt.Errorf("store: the Redis ACL user may not run %s: %s", strings.Join(cmds, ", "), strings.Join(causes, "; ")),
		"store unavailable: the broker's Redis user may not run "+strings.Join(cmds, ", ")+" (the ACL it needs is in docs/deploy.md)")
}
