package plan

// Tests of plan_check and plan_apply (lua/plan.lua) run against real Redis
// and miniredis, each on a fresh cell, through a script that checks a plan
// and applies it only when every check holds, as the audit log's batch
// script does.

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// execScript checks the plan in ARGV and applies it if the check returns 0;
// it returns what plan_check returned.
var execScript = redis.NewScript(Lua + `
local code = plan_check(ARGV, 1)
if code == 0 then plan_apply(ARGV, 1) end
return code
`)

// exec runs p through execScript and returns plan_check's code.
func exec(t *testing.T, c redis.UniversalClient, p *Plan) int64 {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	keys := p.Keys()
	args := p.Encode(nil, func(k string) int { return slices.Index(keys, k) + 1 })
	code, err := execScript.Run(context.Background(), c, keys, args...).Int64()
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	return code
}

func TestPlanCheckLua(t *testing.T) {
	// Each case stores its state (keys relative to the cell's prefix), checks
	// one plan and expects plan_check's code: 0 (applied), the 1-based index
	// of the first failed check, or -1 (an op would fail). Every plan ends
	// with SET done 1, so "applied" shows.
	type kv = [2]string
	tests := []struct {
		name   string
		setup  func(ctx context.Context, c redis.UniversalClient, p string)
		checks func(p string) []Check
		ops    func(p string) []Op
		want   int64
	}{
		{"absent holds", nil, func(p string) []Check { return []Check{{Kind: KindAbsent, Key: p + "x"}} }, nil, 0},
		{"absent fails on a key", set(kv{"x", "1"}), func(p string) []Check { return []Check{{Kind: KindAbsent, Key: p + "x"}} }, nil, 1},
		{"equal holds", set(kv{"x", "v"}), func(p string) []Check { return []Check{{Kind: KindEqual, Key: p + "x", Values: []string{"v"}}} }, nil, 0},
		{"equal fails on another value", set(kv{"x", "w"}), func(p string) []Check { return []Check{{Kind: KindEqual, Key: p + "x", Values: []string{"v"}}} }, nil, 1},
		{"equal: absent fails", nil, func(p string) []Check { return []Check{{Kind: KindEqual, Key: p + "x", Values: []string{"v"}}} }, nil, 1},
		{"equal: absent holds if AbsentOK", nil, func(p string) []Check {
			return []Check{{Kind: KindEqual, Key: p + "x", Values: []string{"v"}, AbsentOK: true}}
		}, nil, 0},
		{"equal on a hash: an op would fail", hset("x", "f", "v"), func(p string) []Check {
			return []Check{{Kind: KindEqual, Key: p + "x", Values: []string{"v"}}}
		}, nil, -1},
		{"field holds on one of the values", hset("h", "f", "b"), func(p string) []Check {
			return []Check{{Kind: KindField, Key: p + "h", Field: "f", Values: []string{"a", "b"}}}
		}, nil, 0},
		{"field fails on another value", hset("h", "f", "c"), func(p string) []Check {
			return []Check{{Kind: KindField, Key: p + "h", Field: "f", Values: []string{"a", "b"}}}
		}, nil, 1},
		{"field: any value without values", hset("h", "f", "c"), func(p string) []Check { return []Check{{Kind: KindField, Key: p + "h", Field: "f"}} }, nil, 0},
		{"field: absent fails", nil, func(p string) []Check { return []Check{{Kind: KindField, Key: p + "h", Field: "f"}} }, nil, 1},
		{"field: absent holds if AbsentOK", nil, func(p string) []Check { return []Check{{Kind: KindField, Key: p + "h", Field: "f", AbsentOK: true}} }, nil, 0},
		{"nofield fails on a field", hset("h", "f", "v"), func(p string) []Check { return []Check{{Kind: KindNoField, Key: p + "h", Field: "f"}} }, nil, 1},
		{"count of a set", sadd("s", "a", "b"), func(p string) []Check { return []Check{{Kind: KindCount, Key: p + "s", N: 2}} }, nil, 0},
		{"count fails on another size", sadd("s", "a", "b"), func(p string) []Check { return []Check{{Kind: KindCount, Key: p + "s", N: 3}} }, nil, 1},
		{"count of a missing key is 0", nil, func(p string) []Check { return []Check{{Kind: KindCount, Key: p + "s", N: 0}} }, nil, 0},
		{"count of a string: an op would fail", set(kv{"s", "v"}), func(p string) []Check { return []Check{{Kind: KindCount, Key: p + "s"}} }, nil, -1},
		{"the second check fails", set(kv{"y", "1"}), func(p string) []Check {
			return []Check{{Kind: KindAbsent, Key: p + "x"}, {Kind: KindAbsent, Key: p + "y"}}
		}, nil, 2},
		{"an op on a key of another type", set(kv{"s", "v"}), nil, func(p string) []Op { return []Op{{Cmd: "SADD", Key: p + "s", Args: []string{"m"}}} }, -1},
		{"an INCR of a value that is not an integer", set(kv{"n", "1.5"}), nil, func(p string) []Op { return []Op{{Cmd: "INCR", Key: p + "n"}} }, -1},
		{"an HINCRBY of a field that is not an integer", hset("h", "f", "01"), nil, func(p string) []Op {
			return []Op{{Cmd: "HINCRBY", Key: p + "h", Args: []string{"f", "1"}}}
		}, -1},
		{"an INCR of a counter past 15 digits", set(kv{"n", "1000000000000000"}), nil, func(p string) []Op { return []Op{{Cmd: "INCR", Key: p + "n"}} }, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, p := context.Background(), "livc:{livc:"+redistest.NewCell(t, c)+"}:"
				if tc.setup != nil {
					tc.setup(ctx, c, p)
				}
				plan := &Plan{Livc: cellOf(p)}
				if tc.checks != nil {
					plan.Checks = tc.checks(p)
				}
				if tc.ops != nil {
					plan.Ops = tc.ops(p)
				}
				plan.Do("SET", p+"done", "1")
				before := c.Keys(ctx, p+"*").Val()
				if got := exec(t, c, plan); got != tc.want {
					t.Fatalf("plan_check = %d, want %d", got, tc.want)
				}
				applied := c.Exists(ctx, p+"done").Val() == 1
				if applied != (tc.want == 0) {
					t.Fatalf("applied %v with code %d", applied, tc.want)
				}
				if after := c.Keys(ctx, p+"*").Val(); !applied && len(after) != len(before) {
					t.Fatalf("a refused plan wrote: keys %v, were %v", after, before)
				}
			})
		})
	}
}

func TestPlanApplyLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), "livc:{livc:"+redistest.NewCell(t, c)+"}:"
		c.Set(ctx, p+"seq", "41", 0)
		c.RPush(ctx, p+"old", "x")
		plan := &Plan{Livc: cellOf(p)}
		seq := plan.Do("INCR", p+"seq")
		plan.DoWithRef(seq, "ZADD", p+"index", "case_1")
		plan.Do("HSET", p+"h", "a", "1", "b", "2")
		plan.Do("HINCRBY", p+"stats", "n", "-3")
		plan.Do("RPUSH", p+"list", "x", "y")
		plan.Do("SADD", p+"set", "m")
		plan.Do("DEL", p+"old")
		if code := exec(t, c, plan); code != 0 {
			t.Fatalf("plan_check = %d", code)
		}
		if s := c.ZScore(ctx, p+"index", "case_1").Val(); s != 42 {
			t.Errorf("the ZADD took score %v, want the INCR's reply 42", s)
		}
		if h := c.HGetAll(ctx, p+"h").Val(); h["a"] != "1" || h["b"] != "2" {
			t.Errorf("hash %v", h)
		}
		if n := c.HGet(ctx, p+"stats", "n").Val(); n != "-3" {
			t.Errorf("counter %s", n)
		}
		if l := c.LRange(ctx, p+"list", 0, -1).Val(); !slices.Equal(l, []string{"x", "y"}) {
			t.Errorf("list %v", l)
		}
		if !c.SIsMember(ctx, p+"set", "m").Val() || c.Exists(ctx, p+"old").Val() != 0 {
			t.Error("SADD or DEL not applied")
		}
	})
}

func set(pairs ...[2]string) func(context.Context, redis.UniversalClient, string) {
	return func(ctx context.Context, c redis.UniversalClient, p string) {
		for _, kv := range pairs {
			c.Set(ctx, p+kv[0], kv[1], 0)
		}
	}
}

func hset(key, field, value string) func(context.Context, redis.UniversalClient, string) {
	return func(ctx context.Context, c redis.UniversalClient, p string) { c.HSet(ctx, p+key, field, value) }
}

func sadd(key string, members ...any) func(context.Context, redis.UniversalClient, string) {
	return func(ctx context.Context, c redis.UniversalClient, p string) { c.SAdd(ctx, p+key, members...) }
}

// cellOf returns the cell of a key prefix livc:{livc:<cell>}:.
func cellOf(prefix string) string {
	return prefix[len("livc:{livc:") : len(prefix)-len("}:")]
}
