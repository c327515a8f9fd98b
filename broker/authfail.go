package broker

// ClaimPeeker is implemented by an Authenticator that can read, without
// verifying anything, the cell and actor a token claims. The pipeline uses
// them for one thing only: to file a failed login in the log of the cell it
// targets, marked unverified, so that the cell's privacy officer sees
// attempts on its accounts (GET /v1/audit/alerts, failed_logins). They never
// grant anything.
type ClaimPeeker interface {
	UnverifiedClaims(token string) (livc, actor string)
}

// fileUnverified sets the cell (and actor) of a failed login's entry from the
// token's unverified claims, when they name a cell this broker serves (and
// an actor of it): only configured ids are ever recorded, never a claimed
// string as such, and never the claimed sub. The entry is marked
// Unverified. A token naming no cell of this broker stays in the broker's
// own log.
func (c *call) fileUnverified(token string) {
	peek, ok := c.s.c.Auth.(ClaimPeeker)
	if !ok {
		return
	}
	livc, actor := peek.UnverifiedClaims(token)
	cell, ok := c.s.c.Cells[livc]
	if livc == "" || !ok {
		return
	}
	c.entry.Livc, c.entry.Unverified = cell.ID, true
	if a, ok := cell.Actor(actor); actor != "" && ok {
		c.entry.Actor = a.ID
	}
}
