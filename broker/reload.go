package broker

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Reload puts a new configuration of the cells (actors, tables, purposes,
// catalogue) and the policy compiled over it in force together, in one
// step: a request sees both old or both new, never one of each. Requests in
// flight keep the generation they began with. It refuses a set of cells
// other than the one in force (adding or removing a cell needs a restart)
// and a nil policy, and then changes nothing.
func (s *Service) Reload(cells map[string]*Cell, policy Decider) error {
	old := s.gen.Load().cells
	if !slices.Equal(slices.Sorted(maps.Keys(old)), slices.Sorted(maps.Keys(cells))) {
		return errors.New("the set of cells changed; adding or removing a cell needs a restart")
	}
	if policy == nil {
		return errors.New("no policy to put in force")
	}
	s.gen.Store(&generation{cells: cells, policy: policy})
	return nil
}

// AuditPolicyReload appends one policy.reload entry to each cell's log: an
// allow with the new revision when cause is nil, else an error entry that
// names the revision kept in force and why. It returns the first append
// failure.
func (s *Service) AuditPolicyReload(ctx context.Context, revision string, cause error) error {
	var first error
	for _, id := range slices.Sorted(maps.Keys(s.gen.Load().cells)) {
		e := AuditEntry{
			ID: NewID("aud"), Time: s.c.Now().UTC(), RequestID: NewID("req"),
			Livc: id, Actor: "livc-broker", Action: ActionPolicyReload,
			Decision: DecisionAllow, PolicyRevision: revision,
			Reason: "policy and configuration reloaded",
		}
		if cause != nil {
			e.Decision = DecisionError
			e.Reason = "reload failed, previous policy kept: " + clip(cause.Error(), 400)
		}
		if err := s.c.Audit.Append(ctx, &e); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// clip shortens s to at most n bytes, on a rune boundary, and keeps it on
// one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Refuse answers a request the transport cannot route (an unknown endpoint
// or method under /v1): it authenticates the request, checks its purpose and
// audits the refusal err under action, like any other refusal. A flood of
// such requests without a valid token costs one token check and one audit
// append each, as on any endpoint.
func (s *Service) Refuse(ctx context.Context, req *Request, action string, err error) error {
	c, berr := s.begin(ctx, req, action)
	if berr != nil {
		return berr
	}
	return c.fail(ctx, err)
}

// CellIDs returns the ids of the cells in force, sorted.
func (s *Service) CellIDs() []string {
	return slices.Sorted(maps.Keys(s.gen.Load().cells))
}
