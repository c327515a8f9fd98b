package broker

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Refused logins (401) are audited in the broker's own log, never a cell's:
// a refused token proves nothing, so nothing it claims is trusted, and only
// what the broker sees itself is written (the client's address, the reason
// the token was refused). Which are audited one by one and which are only
// counted, per client, is the AuthFailCounter's decision
// (internal/ratelimit); the counted ones are summed up once per window.

// summaryEntry is the summary entry of c, for the window [since, now).
func summaryEntry(c ClientCount, now, since time.Time) AuditEntry {
	client, who := clientName(c.Client), "this client"
	if c.Others {
		client, who = "", "other clients"
	}
	return AuditEntry{ID: NewID("aud"), Time: now.UTC(), Action: ActionAuthFailUnlogged, Decision: DecisionDeny,
		Client: client, Reason: fmt.Sprintf("%d refused logins of %s over the audit rate since %s, counted and not logged one by one",
			c.N, who, since.UTC().Format(time.RFC3339))}
}

// clientName is how an audit entry names a client: its address, or an IPv6
// client's network; "" when unknown.
func clientName(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return ""
	case p.IsSingleIP():
		return p.Addr().String()
	}
	return p.String()
}

// authFail audits a failed authentication (401) in the broker's own log,
// at the bounded rate of Conf.AuthFails, and returns the one 401 error whatever
// the reason. cause is the Authenticator's refusal or the broker's own, and
// its text is a category, never a string from the token. The entry holds no
// claim of the token; the cell is set only for a token that verified (see
// begin). The returned error wraps cause, so that the gateway can tell the
// client the category (RFC 6750 error_description) and log it; its detail,
// the body's, is the same whatever the cause.
func (c *call) authFail(ctx context.Context, cause error) error {
	e := &c.entry
	e.Action, e.Decision, e.Reason = ActionAuthFail, DecisionDeny, cause.Error()
	e.Client = c.req.Client.Unmap().WithZone("").String()
	if !c.req.Client.IsValid() {
		e.Client = ""
	}
	if !validPurpose(e.Purpose) {
		e.Purpose = "" // a header of anyone's choosing, of any length
	}
	logged := c.s.c.AuthFails.Admit(c.req.Client, c.s.c.Now())
	if c.s.c.CountAuthFailure != nil {
		c.s.c.CountAuthFailure(logged)
	}
	if logged {
		if err := c.append(ctx); err != nil {
			return err
		}
	}
	return Wrap(KindUnauthenticated, cause, "a valid access token is required")
}

// refusedClaim is why a token that verified is refused all the same: it
// names a cell or an actor the broker does not know.
type refusedClaim string

func (r refusedClaim) Error() string { return string(r) }

// TokenErrorDescription is the client's error_description (see
// internal/token): the claim is refused, not which one or why.
func (refusedClaim) TokenErrorDescription() string { return "invalid claim" }

// RunAuthFailSummaries writes, every AuthFailCounter.Window until ctx ends
// and once more then, the summaries of the refused logins that were only
// counted (ActionAuthFailUnlogged) to the broker's log. A summary the log
// refuses is kept for the next one and reported to the operator's log.
func (s *Service) RunAuthFailSummaries(ctx context.Context) {
	t := time.NewTicker(s.c.AuthFails.Window())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushAuthFailures(context.WithoutCancel(ctx))
			return
		case <-t.C:
			s.flushAuthFailures(ctx)
		}
	}
}

func (s *Service) flushAuthFailures(ctx context.Context) {
	now := s.c.Now()
	since, cs := s.c.AuthFails.Drain(now)
	for _, c := range cs {
		e := summaryEntry(c, now, since)
		actx, cancel := context.WithTimeout(ctx, auditDetached)
		err := s.c.Audit.Append(actx, &e)
		cancel()
		if err != nil {
			s.c.AuthFails.PutBack(c)
			s.c.Logger.Error("a summary of refused logins could not be audited; kept for the next",
				"client", e.Client, "reason", e.Reason, "err", err)
		}
	}
}
