package policy

import (
	"slices"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/cache"
)

// maxCachedDecisions bounds the decisions one policy revision remembers.
// The inputs a card read or a submission can give are few (cells × actors ×
// actions × purposes × a few booleans), but the purpose comes from a request
// header, so the cache must not grow with what clients send: once full, the
// least recently used decision is forgotten.
const maxCachedDecisions = 4096

// decisions memoises the decisions of one prepared revision. A decision is a
// pure function of its input and of the revision's modules and data, unless
// a module calls a non-deterministic built-in (time.now_ns, rand.intn,
// uuid.rfc4122, …), in which case the cache is off for that revision.
// Reload prepares a new revision with an empty cache, so a changed policy or
// configuration is never answered from the old one.
type decisions struct {
	on bool
	c  *cache.Cache[string, broker.Decision]
}

func newDecisions(modules []*ast.Module) *decisions {
	return &decisions{on: deterministic(modules), c: cache.New[string, broker.Decision](maxCachedDecisions, nil)}
}

// deterministic reports whether no module calls a non-deterministic
// built-in, so that the same input always gives the same decision.
func deterministic(modules []*ast.Module) bool {
	ok := true
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if b, found := ast.BuiltinMap[r.String()]; found && b.Nondeterministic {
				ok = false
			}
			return !ok
		})
	}
	return ok
}

// key is the cache key of in, or "" when in is not cached (a target, such
// as a roster, is action-specific and not worth remembering).
func decisionKey(in broker.DecisionInput) string {
	if len(in.Target) > 0 {
		return ""
	}
	// One buffer, on the stack for the usual input, and one string: the
	// key is built for every decision, cached or not.
	var buf [256]byte
	b := buf[:0]
	for _, s := range []string{in.Livc, in.Action, in.Purpose, in.Actor.ID, in.Actor.Type} {
		b = strconv.AppendQuote(b, s)
	}
	for _, t := range in.Actor.Tables {
		b = strconv.AppendQuote(b, t)
	}
	b = strconv.AppendBool(b, in.Actor.Coordinator)
	if s := in.Subject; s != nil {
		b = append(b, "|s"...)
		b = strconv.AppendBool(strconv.AppendBool(strconv.AppendBool(b, s.OpenCase), s.OnRoster), s.Minor)
	}
	if c := in.Case; c != nil {
		b = append(b, "|c"...)
		b = strconv.AppendBool(strconv.AppendQuote(b, c.State), c.OnRoster)
	}
	return string(b)
}

// get returns a copy of the decision remembered for key.
func (d *decisions) get(key string) (broker.Decision, bool) {
	if !d.on || key == "" {
		return broker.Decision{}, false
	}
	v, ok := d.c.Get(key)
	if !ok {
		return broker.Decision{}, false
	}
	return cloneDecision(v), true
}

// put remembers a copy of dec for key. A decision does not expire: the
// revision it belongs to is replaced whole by Reload.
func (d *decisions) put(key string, dec broker.Decision) {
	if !d.on || key == "" {
		return
	}
	d.c.Put(key, cloneDecision(dec), time.Time{})
}

// len is the number of decisions remembered.
func (d *decisions) len() int { return d.c.Len() }

// cloneDecision copies the slices, so that no caller can change what
// another is answered.
func cloneDecision(d broker.Decision) broker.Decision {
	d.Classes, d.Reasons = slices.Clone(d.Classes), slices.Clone(d.Reasons)
	return d
}
