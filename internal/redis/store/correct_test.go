package store

import (
	"testing"

	"github.com/livc/livc-broker/internal/redis/internal/plan"
)

// TestCombinePlans: a plan appended to another keeps its ops' replies
// pointing at the same ops, and dropping ops renumbers the replies of the
// rest; an op whose reply is dropped makes the plan invalid, never a ZADD
// with another op's reply.
func TestCombinePlans(t *testing.T) {
	const p = "livc:{livc:z}:"
	mk := func() *plan.Plan {
		pl := &plan.Plan{Livc: "z"}
		pl.Do("SET", p+"indexed", "1")
		seq := pl.Do("INCR", p+"signals:seq")
		pl.DoWithRef(seq, "ZADD", p+"signals", "sig_a")
		return pl
	}
	a, b := mk(), mk()
	if !dropOps(a, func(o plan.Op) bool { return o.Cmd == "SET" }) {
		t.Fatal("dropOps removed nothing")
	}
	if len(a.Ops) != 2 || a.Ops[1].Ref != 1 {
		t.Fatalf("after the drop: %+v", a.Ops)
	}
	appendPlan(a, b)
	if len(a.Ops) != 5 || a.Ops[4].Ref != 4 || a.Ops[3].Cmd != "INCR" {
		t.Fatalf("appended: %+v", a.Ops)
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("a combined plan of valid plans: %v", err)
	}
	c := mk()
	dropOps(c, func(o plan.Op) bool { return o.Cmd == "INCR" })
	if err := c.Validate(); err == nil {
		t.Fatalf("a ZADD whose INCR was dropped validates: %+v", c.Ops)
	}
}
