package audit

import (
	"context"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// Tile implements broker.AuditProver: the tile t of the log as C2SP
// tlog-tiles serves it, read from the tile's Redis string (its first t.W
// hashes), or for level -1 the entry bundle of the entries t covers, read
// from the stream (a bundle is a view of the stream, not stored twice).
// A tile or bundle the log does not hold at that width yet is
// broker.ErrNotFound. What is served is what the log holds now; a client
// checks it against a signed checkpoint (tlog.TileHashReader does).
func (l *Log) Tile(ctx context.Context, livc string, t tlog.Tile) ([]byte, error) {
	if t.H != tileHeight || t.W < 1 || t.W > tileWidth || t.N < 0 || t.L < -1 || t.L > 7 {
		return nil, broker.ErrNotFound
	}
	key, err := l.streamKey(livc)
	if err != nil {
		return nil, err
	}
	n, err := l.size(ctx, key)
	if err != nil {
		return nil, fail("tile", err)
	}
	level := max(t.L, 0)
	// t.N is bounded first: a path may name a tile so far out that
	// t.N*tileWidth overflows, which would pass the check below and be
	// read as a tile missing from the log (a 500 and a false alarm).
	count := n >> (tileHeight * level)
	if t.N > count/tileWidth || t.N*tileWidth+int64(t.W) > count {
		return nil, broker.ErrNotFound
	}
	if t.L == -1 {
		return l.bundle(ctx, key, t)
	}
	b, err := l.c.GetRange(ctx, tileKey(key, t.L, t.N), 0, int64(t.W)*tlog.HashSize-1).Bytes()
	if err != nil {
		return nil, fail("tile", err)
	}
	if len(b) != t.W*tlog.HashSize {
		return nil, broker.Errorf(broker.KindInternal, "tile %s is shorter than the log's head: run verify", auditlog.TilePath(t))
	}
	return b, nil
}

// bundle reads the entry bundle t (level -1) from the stream: each entry as
// stored, the bytes its leaf hash is of.
func (l *Log) bundle(ctx context.Context, key string, t tlog.Tile) ([]byte, error) {
	first := t.N * tileWidth
	msgs, err := l.c.XRangeN(ctx, key, "0-"+strconv.FormatInt(first+1, 10), "0-"+strconv.FormatInt(first+int64(t.W), 10), int64(t.W)).Result()
	if err != nil {
		return nil, fail("tile", err)
	}
	if len(msgs) != t.W {
		return nil, broker.Errorf(broker.KindInternal, "entries %d to %d are missing from the log: run verify", first, first+int64(t.W)-1)
	}
	var b []byte
	for i, m := range msgs {
		doc, _ := m.Values["entry"].(string)
		if streamIndex(m.ID) != first+int64(i) {
			return nil, broker.Errorf(broker.KindInternal, "entry %d is missing from the log: run verify", first+int64(i))
		}
		if b, err = auditlog.AppendBundleEntry(b, []byte(doc)); err != nil {
			return nil, broker.Wrap(broker.KindInternal, err, "an entry is too long for an entry bundle")
		}
	}
	return b, nil
}
