package broker

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// AuditTile answers GET /v1/audit/tiles/<path>: a tile or an entry bundle
// of the requester's cell's log, served as C2SP tlog-tiles (path as
// auditlog.ParseTilePath takes it), and whether it is full (256 wide: it
// never changes). Each fetch is one audit entry, like every review, with
// the path in its reason: a client fetches a handful of tiles per
// verification (logarithmic in the log's size, and only the new ones when
// it keeps what it verified), so the entries stay few, and the privacy
// officer's reading of the log is itself on the record.
func (s *Service) AuditTile(ctx context.Context, req *Request, path string) ([]byte, bool, error) {
	var t tlog.Tile
	c, p, err := s.review(ctx, req, ActionAuditTiles, func(e *AuditEntry) error {
		var err error
		if t, err = auditlog.ParseTilePath(path); err != nil {
			return Errorf(KindNotFound, "no such tile")
		}
		e.Reason = path
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	data, err := p.Tile(ctx, c.cell.ID, t)
	if isNotFound(err) {
		return nil, false, Errorf(KindNotFound, "no such tile")
	}
	if err != nil {
		return nil, false, unavailable(err)
	}
	return data, t.W == 1<<auditlog.TileHeight, nil
}
