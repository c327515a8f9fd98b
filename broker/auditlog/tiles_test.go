package auditlog

import (
	"bytes"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTilePaths(t *testing.T) {
	for _, tc := range []struct {
		path string
		tile tlog.Tile
		ok   bool
	}{
		{"tile/0/000", tlog.Tile{H: 8, L: 0, N: 0, W: 256}, true},
		{"tile/0/x001/234", tlog.Tile{H: 8, L: 0, N: 1234, W: 256}, true},
		{"tile/2/000.p/7", tlog.Tile{H: 8, L: 2, N: 0, W: 7}, true},
		{"tile/entries/x001/002.p/255", tlog.Tile{H: 8, L: -1, N: 1002, W: 255}, true},
		{"tile/entries/005", tlog.Tile{H: 8, L: -1, N: 5, W: 256}, true},
		{"tile/data/005", tlog.Tile{}, false},
		{"tile/8/0/000", tlog.Tile{}, false},
		{"tile/0/1234", tlog.Tile{}, false},
		{"tile/0/000.p/256", tlog.Tile{}, false},
		{"tile/0/000.p/0", tlog.Tile{}, false},
		{"tile/-1/000", tlog.Tile{}, false},
		{"tile/0/000/", tlog.Tile{}, false},
		{"checkpoint", tlog.Tile{}, false},
		{"tile/0/../000", tlog.Tile{}, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := ParseTilePath(tc.path)
			if (err == nil) != tc.ok || got != tc.tile {
				t.Fatalf("ParseTilePath(%q) = %+v, %v; want %+v (ok %v)", tc.path, got, err, tc.tile, tc.ok)
			}
			if tc.ok && TilePath(got) != tc.path {
				t.Fatalf("TilePath(%+v) = %q, want %q", got, TilePath(got), tc.path)
			}
		})
	}
}

func TestBundle(t *testing.T) {
	var b []byte
	entries := [][]byte{[]byte(`{"index":0}`), {}, bytes.Repeat([]byte("x"), MaxBundleEntry)}
	for _, e := range entries {
		var err error
		if b, err = AppendBundleEntry(b, e); err != nil {
			t.Fatal(err)
		}
	}
	if b[0] != 0 || b[1] != 11 {
		t.Fatalf("the first length is not a big-endian uint16: % x", b[:2])
	}
	got, err := ParseBundle(b, 3)
	if err != nil || len(got) != 3 || !bytes.Equal(got[0], entries[0]) || len(got[2]) != MaxBundleEntry {
		t.Fatalf("ParseBundle: %d entries, %v", len(got), err)
	}
	if _, err := AppendBundleEntry(nil, make([]byte, MaxBundleEntry+1)); err == nil {
		t.Fatal("an entry too long for a bundle was taken")
	}
	for name, bad := range map[string][]byte{"truncated length": b[:1], "truncated entry": b[:5]} {
		if _, err := ParseBundle(bad, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseBundle(b, 2); err == nil {
		t.Error("a bundle of 3 entries taken for 2")
	}
}

// FuzzParseTilePath: a path that parses is canonical (TilePath gives it
// back) and names a tile of height 8, level -1 to 63, width 1 to 256.
func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/234.p/9", "tile/3/x999/x999/999", "tile//", "tile/0/000.p/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tile, err := ParseTilePath(p)
		if err != nil {
			return
		}
		if TilePath(tile) != p || tile.H != TileHeight || tile.L < -1 || tile.L > 63 || tile.W < 1 || tile.W > 256 || tile.N < 0 {
			t.Fatalf("%q parsed as %+v", p, tile)
		}
	})
}

// FuzzParseBundle: ParseBundle never panics, and what it returns encodes
// back to the input.
func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 2, 'a', 'b', 0, 0}, 2)
	f.Add([]byte{0xff}, 1)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		es, err := ParseBundle(b, want)
		if err != nil {
			return
		}
		var again []byte
		for _, e := range es {
			again, _ = AppendBundleEntry(again, e)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("bundle %x parsed and encoded to %x", b, again)
		}
	})
}
