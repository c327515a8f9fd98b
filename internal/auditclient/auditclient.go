// Package auditclient verifies a cell's audit log as the broker serves it,
// in C2SP tlog-tiles (GET /v1/audit/tiles/...), and keeps what it verified,
// so that the next run checks only what is new: the consistency of the new
// signed checkpoint with the one verified before (from tiles), and the
// entries added since, each against the new tree. The tree is read and
// checked with golang.org/x/mod/sumdb/tlog (TileHashReader: every tile
// checked against the signed root before use); what is written here is the
// fetching, the state and the check of the entries.
package auditclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// Fetcher reads a path of a tlog-tiles log: "checkpoint", "tile/0/000",
// "tile/entries/001.p/5", ...
type Fetcher interface {
	Fetch(ctx context.Context, path string) ([]byte, error)
}

// State is what a run keeps for the next: the last checkpoint verified
// (the signed note) and, for the consistency proof from it, the last full
// tile of each level of its tree (C2SP path to the tile's hashes).
type State struct {
	Checkpoint string            `json:"checkpoint"`
	Tiles      map[string][]byte `json:"tiles"`
}

// Result is what a run verified.
type Result struct {
	Origin string
	// From is the size of the checkpoint verified before (0 on a first
	// run), Size that of the one verified now: entries From to Size-1 were
	// checked.
	From, Size int64
	// Fetched counts the tiles and entry bundles read from the broker.
	Fetched int
}

// originPrefix begins the origin of every log of the broker.
const originPrefix = "livc-broker/audit/"

// Verify reads the log's latest checkpoint and checks it with verifier;
// then, if st holds a checkpoint, that the new tree extends it (a log
// rebuilt or cut fails here); then every entry after it: that its leaf
// hash is in the new tree, and that it says its own index. On success it
// updates st to the new checkpoint; on any error st is left as it was.
func Verify(ctx context.Context, f Fetcher, verifier note.Verifier, st *State) (Result, error) {
	var res Result
	var old auditlog.Checkpoint
	origin := ""
	if st.Checkpoint != "" {
		var err error
		if old, err = auditlog.OpenWith([]byte(st.Checkpoint), verifier, ""); err != nil {
			return res, fmt.Errorf("the saved checkpoint: %w", err)
		}
		origin = old.Origin
	}
	signed, err := f.Fetch(ctx, "checkpoint")
	if err != nil {
		return res, err
	}
	cp, err := auditlog.OpenWith(signed, verifier, origin)
	if err != nil {
		return res, err
	}
	if !strings.HasPrefix(cp.Origin, originPrefix) {
		return res, fmt.Errorf("a checkpoint of %q, not of a broker's audit log", cp.Origin)
	}
	res.Origin, res.From, res.Size = cp.Origin, old.Size, cp.Size
	tr := &tileReader{ctx: ctx, f: f, cache: st.Tiles, saved: map[string][]byte{}}
	thr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Hash}, tr)
	if old.Size > 0 {
		if cp.Size < old.Size {
			return res, fmt.Errorf("the log has %d entries, fewer than the %d verified before: it was cut or rebuilt", cp.Size, old.Size)
		}
		proof, err := tlog.ProveTree(cp.Size, old.Size, thr)
		if err == nil {
			err = tlog.CheckTree(proof, cp.Size, cp.Hash, old.Size, old.Hash)
		}
		if err != nil {
			return res, fmt.Errorf("the log does not extend the checkpoint of %d entries verified before: it was rebuilt (%v)", old.Size, err)
		}
	}
	if err := checkEntries(tr, thr, old.Size, cp.Size); err != nil {
		res.Fetched = tr.fetched
		return res, err
	}
	res.Fetched = tr.fetched
	st.Checkpoint = string(signed)
	st.Tiles = edgeTiles(cp.Size, tr)
	return res, nil
}

// checkEntries reads the entry bundles of entries from to to-1 and checks
// each entry's leaf hash against the tree (thr) and its index.
func checkEntries(tr *tileReader, thr tlog.HashReader, from, to int64) error {
	const w = 1 << auditlog.TileHeight
	for b := from / w; b*w < to; b++ {
		width := min(to-b*w, w)
		t := tlog.Tile{H: auditlog.TileHeight, L: -1, N: b, W: int(width)}
		data, err := tr.fetch(auditlog.TilePath(t))
		if err != nil {
			return err
		}
		entries, err := auditlog.ParseBundle(data, int(width))
		if err != nil {
			return fmt.Errorf("%s: %w", auditlog.TilePath(t), err)
		}
		first := max(from, b*w)
		idx := make([]int64, 0, width)
		for i := first; i < b*w+width; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, i))
		}
		leaves, err := thr.ReadHashes(idx)
		if err != nil {
			return err
		}
		for k, i := 0, first; i < b*w+width; k, i = k+1, i+1 {
			e := entries[i-b*w]
			if tlog.RecordHash(e) != leaves[k] {
				return fmt.Errorf("entry %d is not the one in the signed tree: it was changed", i)
			}
			var doc struct {
				Index *int64 `json:"index"`
			}
			if json.Unmarshal(e, &doc) != nil || doc.Index == nil || *doc.Index != i {
				return fmt.Errorf("entry %d does not say its index", i)
			}
		}
	}
	return nil
}

// edgeTiles returns the tiles a tree of size n keeps for the next run: the
// last full tile of each level, among those read or kept.
func edgeTiles(n int64, tr *tileReader) map[string][]byte {
	out := map[string][]byte{}
	for l := 0; n>>(auditlog.TileHeight*l) >= 1<<auditlog.TileHeight; l++ {
		full := (n >> (auditlog.TileHeight * l)) >> auditlog.TileHeight
		p := auditlog.TilePath(tlog.Tile{H: auditlog.TileHeight, L: l, N: full - 1, W: 1 << auditlog.TileHeight})
		if d, ok := tr.saved[p]; ok {
			out[p] = d
		} else if d, ok := tr.cache[p]; ok {
			out[p] = d
		}
	}
	return out
}

// tileReader is the tlog.TileReader of a run: kept tiles first, else
// fetched; tlog.TileHashReader checks every tile before it is used, and
// hands the checked ones to SaveTiles.
type tileReader struct {
	ctx     context.Context
	f       Fetcher
	cache   map[string][]byte // kept by the last run
	saved   map[string][]byte // checked by this run
	fetched int
}

func (r *tileReader) Height() int { return auditlog.TileHeight }

func (r *tileReader) fetch(path string) ([]byte, error) {
	r.fetched++
	return r.f.Fetch(r.ctx, path)
}

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := auditlog.TilePath(t)
		if d, ok := r.saved[p]; ok {
			out[i] = d
			continue
		}
		if d, ok := r.cache[p]; ok && len(d) == t.W*tlog.HashSize {
			out[i] = d
			continue
		}
		d, err := r.fetch(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved[auditlog.TilePath(t)] = data[i]
	}
}

// ErrNotFound is a path the log does not serve.
var ErrNotFound = errors.New("auditclient: not found")
