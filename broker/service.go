package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"
)

// Conf wires the pipeline to its adapters. The adapters are required but
// Prover, Encrypter and RateLimiter, each documented with what its absence
// means; Now and Logger have defaults.
type Conf struct {
	Cells      map[string]*Cell
	Auth       Authenticator
	Envelopes  EnvelopeOpener
	Pseudonyms Pseudonymizer
	Sealer     Sealer
	Store      Store
	Audit      Auditor
	// Prover is the verifiable side of the audit log (checkpoints, proofs,
	// verify); nil when Audit is not verifiable. When Audit implements it
	// itself and Prover is nil, New uses Audit.
	Prover AuditProver
	Policy Decider
	// Encrypter seals answers to a requester's age recipients; nil disables
	// Accept: application/age (406).
	Encrypter Encrypter
	// Keys is what GET /v1/keys publishes; PublicKeysFunc, when set, is
	// asked instead, for keys that rotate while the broker runs.
	Keys           PublicKeys
	PublicKeysFunc func() PublicKeys
	// MaxPlaintext bounds a decrypted envelope; default 1 MiB.
	MaxPlaintext int64
	// RateLimiter bounds the requests of each principal and of all the
	// people of an actor together; nil is no limit.
	RateLimiter RateLimiter
	// LookupLimiter bounds POST /v1/subjects/lookup, an oracle, per
	// requesting person. It is required: a lookup is never unbounded.
	LookupLimiter RateLimiter
	// AuthFails decides which refused logins are audited one by one and
	// counts the others (authfail.go). It is required: a flood of bad
	// tokens must not grow the log without bound.
	AuthFails AuthFailCounter
	// CountAuthFailure, when set, is told of every refused login (401):
	// whether it was audited one by one or only counted.
	CountAuthFailure func(logged bool)
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Encrypter encrypts an answer to age recipients.
type Encrypter interface {
	SealTo(recipients []string, plaintext []byte) ([]byte, error)
}

// PublicKeys is what clients need to talk to the broker: the age recipients
// to encrypt signals to and the key that verifies audit checkpoints.
type PublicKeys struct {
	Recipients    []string `json:"recipients"`
	CheckpointKey string   `json:"checkpoint_key"`
}

func (c *Conf) validate() error {
	switch {
	case len(c.Cells) == 0:
		return errors.New("broker: no cell configured")
	case c.Auth == nil, c.Envelopes == nil, c.Pseudonyms == nil, c.Sealer == nil,
		c.Store == nil, c.Audit == nil, c.Policy == nil, c.LookupLimiter == nil, c.AuthFails == nil:
		return errors.New("broker: an adapter is missing")
	}
	if p, ok := c.Audit.(AuditProver); ok && c.Prover == nil {
		c.Prover = p
	}
	if c.MaxPlaintext <= 0 {
		c.MaxPlaintext = 1 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Service is the request pipeline. It is safe for concurrent use.
type Service struct {
	c   Conf
	gen atomic.Pointer[generation] // swapped whole by Reload
}

// generation is the cells' configuration and the policy compiled over it,
// in force together. A request takes one generation when it begins and
// keeps it to its end, so it never judges with the policy of one
// configuration and the catalogue, actors or tables of another.
type generation struct {
	cells  map[string]*Cell
	policy Decider
}

// New returns the pipeline over the adapters of c.
func New(c Conf) (*Service, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Service{c: c}
	s.gen.Store(&generation{cells: c.Cells, policy: c.Policy})
	return s, nil
}

// Request is what every /v1 call brings, whatever the transport. The
// pipeline fills the output fields as it goes.
type Request struct {
	ID      string // request id, set by the gateway
	Token   string // bearer token; never logged, never stored
	Purpose string // the LIVC-Purpose header
	// Client is the client's address as the transport sees it (the peer,
	// or what a proxy it trusts forwarded); the zero Addr when unknown.
	// Refused logins are bounded per client by it.
	Client netip.Addr
	// WantAge asks for the answer encrypted to the actor's recipients.
	WantAge bool
	// Body reads the request body; the transport bounds its size and checks
	// its media type, and returns a broker error when it refuses it. The
	// pipeline reads it only after authentication, so that a refused body
	// is audited like any other refusal.
	Body func() ([]byte, error)
	// Refuse is a refusal the transport found in the request (a malformed
	// query, say); the pipeline returns it, audited, after authentication.
	Refuse error

	// AuditID is set once the request's audit entry is in the log.
	AuditID string
	// Principal is set once the token is verified.
	Principal Principal
	// SealTo holds the recipients the answer must be encrypted to when
	// WantAge was asked and granted.
	SealTo []string
}

// PublicKeys returns what GET /v1/keys publishes.
func (s *Service) PublicKeys() PublicKeys {
	if s.c.PublicKeysFunc != nil {
		return s.c.PublicKeysFunc()
	}
	return s.c.Keys
}

// Ready reports whether the store and the audit log are reachable.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.c.Store.Ping(ctx); err != nil {
		var be *Error
		if errors.As(err, &be) && be.Kind == KindUnavailable {
			return err // its detail says why (the Redis user may not run scripts)
		}
		return Wrap(KindUnavailable, err, "store unavailable")
	}
	if err := s.c.Audit.Ping(ctx); err != nil {
		return Wrap(KindUnavailable, err, "audit log unavailable")
	}
	return nil
}

// SealAnswer encrypts an answer body to the recipients the pipeline chose for
// req. It is called only when req.SealTo is set.
func (s *Service) SealAnswer(req *Request, body []byte) ([]byte, error) {
	if s.c.Encrypter == nil || len(req.SealTo) == 0 {
		return nil, Errorf(KindNotAcceptable, "the answer cannot be encrypted for this actor")
	}
	out, err := s.c.Encrypter.SealTo(req.SealTo, body)
	if err != nil {
		return nil, Wrap(KindInternal, err, "the answer could not be encrypted")
	}
	return out, nil
}

// call is one request going through the pipeline: who asks, in which cell,
// and the audit entry that will record it.
type call struct {
	s      *Service
	req    *Request
	cell   *Cell
	policy Decider // of the generation cell comes from
	actor  Actor
	entry  AuditEntry
}

// begin authenticates req and checks its purpose header. A refusal is
// audited before it is returned.
func (s *Service) begin(ctx context.Context, req *Request, action string) (*call, error) {
	c := &call{s: s, req: req, entry: AuditEntry{
		ID:        NewID("aud"),
		Time:      s.c.Now().UTC(),
		RequestID: req.ID,
		Action:    action,
		Purpose:   req.Purpose,
	}}
	p, err := s.c.Auth.Authenticate(ctx, req.Token)
	if err != nil {
		// Nothing the refused token claims is trusted: the refusal goes
		// to the broker's own log, at a bounded rate per client.
		return nil, c.authFail(ctx, err)
	}
	gen := s.gen.Load()
	cell, ok := gen.cells[p.Livc]
	if !ok {
		return nil, c.authFail(ctx, refusedClaim("token names a cell this broker does not serve"))
	}
	actor, ok := cell.Actor(p.Actor)
	if !ok {
		// The token verified: its cell and sub are the issuer's word.
		c.entry.Livc, c.entry.Sub = cell.ID, p.Sub
		return nil, c.authFail(ctx, refusedClaim("token names an actor unknown to the cell"))
	}
	req.Principal = p
	c.cell, c.actor, c.policy = cell, actor, gen.policy
	c.entry.Livc, c.entry.Actor, c.entry.Sub = cell.ID, actor.ID, p.Sub
	if s.c.RateLimiter != nil {
		if err := s.c.RateLimiter.Allow(p, s.c.Now()); err != nil {
			return nil, c.fail(ctx, err)
		}
	}
	if !validPurpose(req.Purpose) {
		return nil, c.fail(ctx, Errorf(KindForbidden, "the LIVC-Purpose header is missing or malformed"))
	}
	if req.WantAge {
		if len(actor.Recipients) == 0 || s.c.Encrypter == nil {
			return nil, c.fail(ctx, Errorf(KindNotAcceptable, "no age recipient is configured for actor %q", actor.ID))
		}
		req.SealTo = actor.Recipients
	}
	return c, nil
}

// body reads the request body; a refusal is audited.
func (c *call) body(ctx context.Context) ([]byte, error) {
	if c.req.Body == nil {
		return nil, c.fail(ctx, Errorf(KindBadRequest, "a body is required"))
	}
	b, err := c.req.Body()
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	return b, nil
}

// auditDetached bounds an append that outlives its request's context.
const auditDetached = 10 * time.Second

// append writes the entry to the audit log; the request fails if it cannot.
// The append does not end with the request's context: a client that hangs
// up (or whose body the server's read timeout cut off) has still made a
// request the log must account for.
func (c *call) append(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditDetached)
	defer cancel()
	if err := c.s.c.Audit.Append(ctx, &c.entry); err != nil {
		c.req.AuditID = ""
		return Wrap(KindUnavailable, err, "the audit log is unavailable; nothing was stored or released")
	}
	c.req.AuditID = c.entry.ID
	return nil
}

// allow audits an allowed read. Only after it returns nil may the caller
// release anything. A write is never audited this way: its allow entry is
// committed with it (call.write, commit.go).
func (c *call) allow(ctx context.Context) error {
	if err := c.refused(ctx); err != nil {
		return err
	}
	c.entry.Decision = DecisionAllow
	return c.append(ctx)
}

// fail audits a refused or failed request and returns err (or the audit
// failure, which takes precedence: then nothing at all happened).
func (c *call) fail(ctx context.Context, err error) error {
	c.entry.Decision = DecisionDeny
	switch KindOf(err) {
	case KindInternal, KindUnavailable:
		c.entry.Decision = DecisionError
	}
	c.entry.Reason = reasonOf(err)
	if aerr := c.append(ctx); aerr != nil {
		return aerr
	}
	return err
}

// input completes in with the request's cell, purpose, action and actor.
func (c *call) input(in DecisionInput) DecisionInput {
	in.Livc, in.Purpose = c.cell.ID, c.req.Purpose
	in.Action = c.entry.Action
	in.Actor = DecisionActor{
		ID: c.actor.ID, Type: c.actor.Type,
		Tables: c.cell.TablesOf(c.actor.ID), Coordinator: c.actor.Coordinator,
	}
	if in.Actor.Tables == nil {
		in.Actor.Tables = []string{}
	}
	return in
}

// decide asks the policy. An error or undefined result is a deny.
func (c *call) decide(ctx context.Context, in DecisionInput) (Decision, error) {
	d, err := c.policy.Decide(ctx, c.input(in))
	if err != nil {
		return Decision{}, c.fail(ctx, Wrap(KindUnavailable, err, "the policy could not decide; denied"))
	}
	c.entry.PolicyRevision = d.Revision
	if !d.Allow {
		return d, c.fail(ctx, c.forbidden(d))
	}
	if err := c.refused(ctx); err != nil {
		return d, err
	}
	return d, nil
}

// refused returns, audited, the refusal the transport found in the request
// (Request.Refuse, a malformed query), or nil. It is judged after the
// decision, as the body is, so that a requester who may not use the route is
// told that, whatever its query; allow and write check it again, so that a
// route that never decides still releases and stores nothing.
func (c *call) refused(ctx context.Context) error {
	if c.req.Refuse == nil {
		return nil
	}
	return c.fail(ctx, c.req.Refuse)
}

// forbidden is the 403 of a deny, its reasons kept for the audit log.
func (c *call) forbidden(d Decision) error {
	return &Error{Kind: KindForbidden,
		Detail: fmt.Sprintf("not allowed for actor %q under purpose %q", c.actor.ID, c.req.Purpose),
		Err:    fmt.Errorf("policy: %v", d.Reasons)}
}

// reasonOf is the short, value-free reason an audit entry records.
func reasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		r := e.Detail
		if e.Field != "" {
			r = e.Field + ": " + r
		}
		if e.Kind == KindForbidden && e.Err != nil {
			r += " (" + e.Err.Error() + ")"
		}
		return r
	}
	return "internal error"
}
