// Package policy is the Rego engine of the broker: it implements
// broker.Decider by evaluating data.livc.decision (policies/decision.rego)
// over the cells' configuration.
//
// The engine prepares one query per policy revision and evaluates it once per
// request. It fails closed: an undefined result, a result of the wrong shape,
// an evaluation error or a timeout is an error, and the pipeline denies.
package policy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/policies"
)

// DefaultTimeout bounds one evaluation when Conf.Timeout is zero.
const DefaultTimeout = 250 * time.Millisecond

// Query is the one document the broker asks the policy for.
const Query = "data.livc.decision"

// Conf holds the engine's settings. The zero value is valid.
type Conf struct {
	// Timeout bounds one evaluation; 0 means DefaultTimeout. An evaluation
	// that takes longer is an error, and the request is denied.
	Timeout time.Duration
}

// withDefaults fills in the defaults and refuses a setting that makes no
// sense.
func (c Conf) withDefaults() (Conf, error) {
	switch {
	case c.Timeout < 0:
		return c, fmt.Errorf("policy: timeout %v is negative", c.Timeout)
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	}
	return c, nil
}

// unsafeBuiltins may not be called by any module, embedded or a cell's: a
// decision depends on its input and the configuration only, never on the
// network or the process's environment.
var unsafeBuiltins = map[string]struct{}{
	"http.send":          {},
	"net.lookup_ip_addr": {},
	"opa.runtime":        {},
}

// Engine evaluates the policy. It is safe for concurrent use; Reload swaps the
// prepared query atomically, so a Decide sees either the old or the new
// policy, never a mix.
type Engine struct {
	conf    Conf
	modules map[string]string // the base modules (policies.Modules in production)

	reload sync.Mutex // serialises Reload
	cur    atomic.Pointer[prepared]
}

// prepared is one compiled revision of the policy and its data.
type prepared struct {
	query    rego.PreparedEvalQuery
	revision string
	cache    *decisions // remembered decisions of this revision
}

// New compiles the embedded policy, plus each cell's own rules from its
// PolicyDir, over the cells' configuration, and prepares the decision query.
// It refuses an empty or inconsistent set of cells, a cell module outside
// package livc.cells.<livc>, and any module that does not compile.
func New(ctx context.Context, cells map[string]*broker.Cell, c Conf) (*Engine, error) {
	mods, err := policies.Modules()
	if err != nil {
		return nil, err
	}
	return newEngine(ctx, mods, cells, c)
}

// newEngine is New over a given set of base modules, so that tests can
// compile a policy that misbehaves.
func newEngine(ctx context.Context, modules map[string]string, cells map[string]*broker.Cell, c Conf) (*Engine, error) {
	conf, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{conf: conf, modules: modules}
	p, err := e.prepare(ctx, cells)
	if err != nil {
		return nil, err
	}
	e.cur.Store(p)
	return e, nil
}

// Reload compiles the policy over cells (their configuration and their own
// rules, as New does) and makes it the one Decide uses. On any failure the
// previous policy stays in force and the error is returned.
func (e *Engine) Reload(ctx context.Context, cells map[string]*broker.Cell) error {
	p, err := e.Prepare(ctx, cells)
	if err != nil {
		return err
	}
	e.Install(p)
	return nil
}

// Compiled is one revision of the policy, compiled over one configuration
// of the cells, that decides on its own whatever the engine has in force
// since: the pipeline keeps it together with that configuration
// (broker.Service.Reload), so that the two change in one step.
type Compiled struct {
	e *Engine
	p *prepared
}

var _ broker.Decider = (*Compiled)(nil)

// Prepare compiles the policy over cells, as Reload does, without putting
// it in force. Its error names the revision in force, which stays.
func (e *Engine) Prepare(ctx context.Context, cells map[string]*broker.Cell) (*Compiled, error) {
	e.reload.Lock()
	defer e.reload.Unlock()
	p, err := e.prepare(ctx, cells)
	if err != nil {
		return nil, fmt.Errorf("%w (keeping policy revision %s)", err, e.Revision())
	}
	return &Compiled{e: e, p: p}, nil
}

// Install makes c the revision the engine's own Decide and Revision use.
func (e *Engine) Install(c *Compiled) { e.cur.Store(c.p) }

// Current is the revision in force, as a Compiled.
func (e *Engine) Current() *Compiled { return &Compiled{e: e, p: e.cur.Load()} }

// Revision is the revision c was compiled as.
func (c *Compiled) Revision() string { return c.p.revision }

// Decide is the engine's Decide under c's revision.
func (c *Compiled) Decide(ctx context.Context, in broker.DecisionInput) (broker.Decision, error) {
	return c.e.decide(ctx, c.p, in)
}

// Revision is a short hash of the policy modules and data in force; every
// Decision carries the revision it was made under.
func (e *Engine) Revision() string { return e.cur.Load().revision }

// prepare compiles modules and data into a prepared query.
func (e *Engine) prepare(ctx context.Context, cells map[string]*broker.Cell) (*prepared, error) {
	data, dataJSON, err := cellData(cells)
	if err != nil {
		return nil, err
	}
	sources, err := cellModules(cells)
	if err != nil {
		return nil, err
	}
	for name, src := range e.modules {
		if _, dup := sources[name]; dup {
			return nil, fmt.Errorf("policy: module %s given twice", name)
		}
		sources[name] = src
	}
	opts := []func(*rego.Rego){
		rego.Query(Query),
		rego.Store(inmem.NewFromObject(data)),
		rego.SetRegoVersion(ast.RegoV1),
		rego.UnsafeBuiltins(unsafeBuiltins),
		// A built-in's error is an error, not an undefined expression that
		// could let a cell's withholding rule silently not apply.
		rego.StrictBuiltinErrors(true),
	}
	var parsed []*ast.Module
	for _, name := range sortedKeys(sources) {
		m, err := ast.ParseModuleWithOpts(name, sources[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		opts = append(opts, rego.ParsedModule(m))
		parsed = append(parsed, m)
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: compile: %w", err)
	}
	return &prepared{query: pq, revision: revision(sources, dataJSON), cache: newDecisions(parsed)}, nil
}

// Decide evaluates the decision for in, once, within Conf.Timeout, or
// answers the decision it evaluated before for the same input under the
// same revision (see decisions: only for a policy without
// non-deterministic built-ins; errors are never remembered). The
// Decision carries the policy revision. Any failure is an error (KindInternal,
// or KindUnavailable for a timeout) with a client-safe detail, and the
// pipeline denies.
func (e *Engine) Decide(ctx context.Context, in broker.DecisionInput) (broker.Decision, error) {
	return e.decide(ctx, e.cur.Load(), in)
}

// decide is Decide under the revision p.
func (e *Engine) decide(ctx context.Context, p *prepared, in broker.DecisionInput) (broker.Decision, error) {
	if err := ctx.Err(); err != nil { // the caller gave up already
		return broker.Decision{}, broker.Wrap(broker.KindUnavailable,
			fmt.Errorf("policy %s: %w", p.revision, err), "policy decision timed out")
	}
	key := decisionKey(in)
	if d, ok := p.cache.get(key); ok {
		return d, nil
	}
	// The timer only for an evaluation: a remembered decision needs none,
	// and arming one was a tenth of a cached decision's cost.
	ctx, cancel := context.WithTimeout(ctx, e.conf.Timeout)
	defer cancel()
	input, err := inputValue(in)
	if err != nil {
		return broker.Decision{}, broker.Wrap(broker.KindInternal, err, "policy decision failed")
	}
	rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if ctx.Err() != nil {
			return broker.Decision{}, broker.Wrap(broker.KindUnavailable,
				fmt.Errorf("policy %s: %w: %w", p.revision, ctx.Err(), err), "policy decision timed out")
		}
		return broker.Decision{}, broker.Wrap(broker.KindInternal,
			fmt.Errorf("policy %s: evaluate: %w", p.revision, err), "policy decision failed")
	}
	d, err := decode(rs)
	if err != nil {
		return broker.Decision{}, broker.Wrap(broker.KindInternal,
			fmt.Errorf("policy %s: %w", p.revision, err), "policy decision failed")
	}
	d.Revision = p.revision
	p.cache.put(key, d)
	return d, nil
}

// ErrUndefined is the cause of a Decide error when the policy defines no
// decision for the input.
var ErrUndefined = errors.New("decision undefined")

// ErrShape is the cause of a Decide error when the decision is not of the
// shape {"allow": bool, "classes": [string], "own": bool, "reasons": [string]}
// or contradicts itself (a deny that releases something).
var ErrShape = errors.New("decision of the wrong shape")

var _ broker.Decider = (*Engine)(nil)
