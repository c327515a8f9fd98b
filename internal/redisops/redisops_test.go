package redisops

import "testing"

func TestValidate(t *testing.T) {
	const k = "livc:{livc:gent}:case:x"
	cases := []struct {
		name string
		plan Plan
		ok   bool
	}{
		{"a valid plan", Plan{Livc: "gent", Checks: []Check{{Kind: KindAbsent, Key: k}},
			Ops: []Op{{Cmd: "SET", Key: k, Args: []string{"{}"}}, {Cmd: "ZADD", Key: "livc:{livc:gent}:cases", Args: []string{"x"}, Ref: 1}}}, true},
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
		{"a ref to a later op", Plan{Livc: "gent", Ops: []Op{{Cmd: "ZADD", Key: k, Ref: 1}}}, false},
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
