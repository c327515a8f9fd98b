package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// The log served as C2SP tlog-tiles: tiles of height 8, at paths
// tile/<L>/<N>[.p/<W>] (the hashes of tree level 8L from 256N, W of them
// when partial, 32 bytes each) and entry bundles at tile/entries/<N>[.p/<W>]
// (entries 256N to 256N+W-1). golang.org/x/mod/sumdb/tlog has the same
// tiles and the same encoding of N, under paths that also name the height
// (tile/8/<L>/<N>, tile/8/data/<N>); these functions translate.

// TileHeight is the height of the tiles served (C2SP tlog-tiles: 8).
const TileHeight = 8

// ParseTilePath parses a C2SP tlog-tiles path, such as "tile/0/x001/234",
// "tile/1/000.p/7" or "tile/entries/012": a tile, or an entry bundle as a
// tile of level -1. It accepts only the canonical form TilePath gives.
func ParseTilePath(p string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok || strings.HasPrefix(rest, "data/") || strings.HasPrefix(rest, "-") {
		return tlog.Tile{}, errors.New("not a tile path")
	}
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + r
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil || TilePath(t) != p {
		return tlog.Tile{}, errors.New("not a tile path")
	}
	return t, nil
}

// TilePath is the C2SP tlog-tiles path of t (of height TileHeight; level
// -1 for an entry bundle).
func TilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if r, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + r
	}
	return "tile/" + p
}

// MaxBundleEntry is the longest entry an entry bundle holds: its length is
// a big-endian uint16.
const MaxBundleEntry = 1<<16 - 1

// AppendBundleEntry appends one entry to an entry bundle: its length as a
// big-endian uint16, then its bytes. It refuses an entry longer than
// MaxBundleEntry.
func AppendBundleEntry(b, entry []byte) ([]byte, error) {
	if len(entry) > MaxBundleEntry {
		return nil, fmt.Errorf("an entry of %d bytes does not fit an entry bundle", len(entry))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(entry)))
	return append(b, entry...), nil
}

// ParseBundle splits an entry bundle into its entries; it refuses one
// whose lengths do not add up, or that does not hold exactly want entries.
func ParseBundle(b []byte, want int) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle: a truncated length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("entry bundle: a truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	if len(out) != want {
		return nil, fmt.Errorf("entry bundle: %d entries, want %d", len(out), want)
	}
	return out, nil
}
