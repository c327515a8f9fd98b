package plan

import "testing"

func TestValidate(t *testing.T) {
	const (
		k     = "livc:{livc:gent}:case:x"
		seq   = "livc:{livc:gent}:cases:seq"
		stats = "livc:{livc:gent}:stats:cases"
	)
	cases := []struct {
		name string
		plan Plan
		ok   bool
	}{
		{"a valid plan", Plan{Livc: "gent", Checks: []Check{{Kind: KindAbsent, Key: k}},
			Ops: []Op{{Cmd: "SET", Key: k, Args: []string{"{}"}}, {Cmd: "INCR", Key: seq},
				{Cmd: "ZADD", Key: "livc:{livc:gent}:cases", Args: []string{"x"}, Ref: 2},
				{Cmd: "ZADD", Key: "livc:{livc:gent}:actor:a:cases", Args: []string{"-12", "x", "0", "y"}},
				{Cmd: "HINCRBY", Key: stats, Args: []string{"state:open", "-1"}}, {Cmd: "HINCRBY", Key: stats, Args: []string{"state:closed", "1"}},
				{Cmd: "DEL", Key: k}}}, true},
		{"a ref to a SET", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: k, Args: []string{"{}"}}, {Cmd: "ZADD", Key: k + "s", Args: []string{"x"}, Ref: 1}}}, false},
		{"a ref taken by a command other than ZADD", Plan{Livc: "gent", Ops: []Op{{Cmd: "INCR", Key: seq}, {Cmd: "SADD", Key: k, Ref: 1}}}, false},
		{"a DEL of a second key", Plan{Livc: "gent", Ops: []Op{{Cmd: "DEL", Key: k, Args: []string{"livc:{livc:brugge}:x"}}}}, false},
		{"a SET without a value", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: k}}}, false},
		{"an INCR with an argument", Plan{Livc: "gent", Ops: []Op{{Cmd: "INCR", Key: seq, Args: []string{"5"}}}}, false},
		{"an HSET without a value", Plan{Livc: "gent", Ops: []Op{{Cmd: "HSET", Key: stats, Args: []string{"f"}}}}, false},
		{"an HINCRBY by a fraction", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "1.5"}}}}, false},
		{"an HINCRBY by a Lua-style number", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "1e3"}}}}, false},
		{"an HINCRBY by a leading plus", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "+1"}}}}, false},
		{"an HINCRBY by too much", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "1000000000000001"}}}}, false},
		{"increments adding up to too much", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "999999999999999"}},
			{Cmd: "HINCRBY", Key: stats, Args: []string{"g", "-2"}}}}, false},
		{"a ZADD score that is not an integer", Plan{Livc: "gent", Ops: []Op{{Cmd: "ZADD", Key: k, Args: []string{"nan", "x"}}}}, false},
		{"a ZADD without a member", Plan{Livc: "gent", Ops: []Op{{Cmd: "ZADD", Key: k, Args: []string{"1"}}}}, false},
		{"a ZADD with a ref and a score", Plan{Livc: "gent", Ops: []Op{{Cmd: "INCR", Key: seq}, {Cmd: "ZADD", Key: k, Args: []string{"1", "x"}, Ref: 1}}}, false},
		{"an INCR of a key the plan sets", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: seq, Args: []string{"x"}}, {Cmd: "INCR", Key: seq}}}, false},
		{"an HINCRBY of a hash the plan sets", Plan{Livc: "gent", Ops: []Op{{Cmd: "HINCRBY", Key: stats, Args: []string{"f", "1"}},
			{Cmd: "HSET", Key: stats, Args: []string{"f", "x"}}}}, false},
		{"two types on one key", Plan{Livc: "gent", Ops: []Op{{Cmd: "SADD", Key: k, Args: []string{"x"}}, {Cmd: "RPUSH", Key: k, Args: []string{"x"}}}}, false},
		{"no cell", Plan{Ops: []Op{{Cmd: "SET", Key: k}}}, false},
		{"a brace in the cell", Plan{Livc: "ge{nt"}, false},
		{"a key of another cell", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: "livc:{livc:brugge}:case:x"}}}, false},
		{"a cell whose name extends another's", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: "livc:{livc:gent2}:x"}}}, false},
		{"a key without a hash tag", Plan{Livc: "gent", Ops: []Op{{Cmd: "SET", Key: "livc:gent:x"}}}, false},
		{"a check outside the slot", Plan{Livc: "gent", Checks: []Check{{Kind: KindAbsent, Key: "other"}}}, false},
		{"a command not allowed", Plan{Livc: "gent", Ops: []Op{{Cmd: "FLUSHALL", Key: k}}}, false},
		{"EVAL is not allowed", Plan{Livc: "gent", Ops: []Op{{Cmd: "EVAL", Key: k}}}, false},
		{"an unknown check", Plan{Livc: "gent", Checks: []Check{{Kind: "maybe", Key: k}}}, false},
		{"an equal check without a value", Plan{Livc: "gent", Checks: []Check{{Kind: KindEqual, Key: k}}}, false},
		{"a ref to a later op", Plan{Livc: "gent", Ops: []Op{{Cmd: "ZADD", Key: k, Args: []string{"x"}, Ref: 1}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.plan.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestEncodedLen(t *testing.T) {
	p := &Plan{Livc: "gent"}
	p.Check(Check{Kind: KindField, Key: "a", Field: "f", Values: []string{"x", "y"}})
	seq := p.Do("INCR", "b")
	p.DoWithRef(seq, "ZADD", "c", "m")
	idx := map[string]int{}
	args := p.Encode(nil, func(k string) int {
		if idx[k] == 0 {
			idx[k] = len(idx) + 1
		}
		return idx[k]
	})
	if len(args) != p.EncodedLen() || len(p.Keys()) != 3 {
		t.Fatalf("encoded %d args, EncodedLen %d, keys %v", len(args), p.EncodedLen(), p.Keys())
	}
}
