package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// httpTiles is a tlog.TileReader that fetches C2SP tlog-tiles over HTTP
// from the broker, as the privacy officer: the glue a stock client needs
// (the paths of golang.org/x/mod/sumdb/tlog name the height, C2SP's do
// not). It checks nothing itself; tlog.TileHashReader does.
type httpTiles struct {
	l       *auditLab
	fetched []string
	cache   map[string][]byte // what SaveTiles kept: tiles it verified
}

func (h *httpTiles) Height() int { return 8 }

func (h *httpTiles) path(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	return "tile/" + strings.Replace(p, "data/", "entries/", 1)
}

func (h *httpTiles) get(p string) response {
	h.fetched = append(h.fetched, p)
	return h.l.get("dpo", "/v1/audit/tiles/"+p, "audit_review")
}

func (h *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if d, ok := h.cache[h.path(t)]; ok {
			out[i] = d
			continue
		}
		r := h.get(h.path(t))
		if r.Status != 200 {
			return nil, fmt.Errorf("%s: %d %s", h.path(t), r.Status, r.Body)
		}
		out[i] = r.Body
	}
	return out, nil
}

func (h *httpTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		h.cache[h.path(t)] = data[i]
	}
}

// TestAuditTilesStockClient reads the log over /v1/audit/tiles/ with
// golang.org/x/mod/sumdb's stock code only (note.Open for the checkpoint,
// tlog.TileHashReader, tlog.ProveRecord and tlog.CheckRecord), none of the
// project's: the checkpoint verifies with the broker's key, every tile the
// client reads is checked against it, the leaf hash of each entry of the
// entry bundles is the tree's leaf (inclusion proof checked), a card read
// quoted by its audit id is among them, full tiles are cacheable as
// private and immutable, partial ones not kept, one past the log is 404,
// another actor is refused, and each fetch is an audit entry.
func TestAuditTilesStockClient(t *testing.T) {
	l := newAuditLab(t)
	quoted := l.read()
	for range 270 {
		l.read()
	}
	l.checkpoint()
	tiles := &httpTiles{l: l, cache: map[string][]byte{}}
	r := tiles.get("checkpoint")
	if r.Status != 200 {
		t.Fatalf("checkpoint: %d %s", r.Status, r.Body)
	}
	v, err := note.NewVerifier(l.key)
	must(t, err)
	n, err := note.Open(r.Body, note.VerifierList(v))
	must(t, err)
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	must(t, err)
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 || lines[0] != "livc-broker/audit/zonnedaal" || size < 272 {
		t.Fatalf("checkpoint text %q: %v", n.Text, err)
	}
	tree := tlog.Tree{N: size}
	copy(tree.Hash[:], root)
	thr := tlog.TileHashReader(tree, tiles)
	if h, err := tlog.TreeHash(size, thr); err != nil || h != tree.Hash {
		t.Fatalf("the tree hash from the tiles: %v, %v; want the checkpoint's", h, err)
	}
	checkBundles(t, tiles, thr, tree, quoted)
	full := l.get("dpo", "/v1/audit/tiles/tile/0/000", "audit_review")
	if full.Status != 200 || len(full.Body) != 256*32 || full.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Fatalf("full tile: %d, %d bytes, %q", full.Status, len(full.Body), full.Header.Get("Cache-Control"))
	}
	for _, c := range []struct {
		actor, purpose, path string
		status               int
	}{
		{"dpo", "audit_review", "tile/0/x001/000", 404},
		{"dpo", "audit_review", "tile/1/000", 404},
		{"dpo", "audit_review", "tile/8/0/000", 404},
		{"preventie", "audit_review", "tile/0/000", 403},
		// The decision is judged before the path: one who may not review
		// learns nothing from a bad one.
		{"preventie", "audit_review", "tile/0/abc", 403},
		{"preventie", "audit_review", "nope", 403},
	} {
		if r := l.get(c.actor, "/v1/audit/tiles/"+c.path, c.purpose); r.Status != c.status {
			t.Errorf("%s by %s: %d, want %d", c.path, c.actor, r.Status, c.status)
		}
	}
	sameNotFound(t, l)
	var audited int
	for _, m := range l.messages() {
		if s, _ := m.Values["entry"].(string); strings.Contains(s, `"action":"audit.tiles"`) && strings.Contains(s, `"reason":"tile/0/000"`) {
			audited++
		}
	}
	if audited < 2 {
		t.Fatalf("%d audit entries of fetches of tile/0/000, want one each (at least 2)", audited)
	}
	if !bytes.Equal(full.Body[:32], mustTile(t, thr)) {
		t.Fatal("tile/0/000 begins with another hash than leaf 0")
	}
	verifyTwice(t, l)
}

// verifyTwice runs `livcctl audit verify --tiles` twice with one state
// file: the second run checks only the entries added since the first
// (those of the first run's own fetches and a few reads), from the first
// run's size on, reading fewer tiles and bundles.
func verifyTwice(t *testing.T, l *auditLab) {
	state := filepath.Join(t.TempDir(), "state.json")
	run := func() (from, size, fetched int64) {
		l.checkpoint()
		out, err := l.livcctl("audit", "verify", "--tiles", "--state", state, "--key", l.key)
		if err != nil {
			t.Fatalf("livcctl audit verify --tiles: %v\n%s", err, out)
		}
		if _, err := fmt.Sscanf(out[strings.Index(out, "entries "):], "entries %d to %d checked (%d tiles", &from, &size, &fetched); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		return
	}
	from1, size1, fetched1 := run()
	for range 3 {
		l.read()
	}
	from2, size2, fetched2 := run()
	if from1 != 0 || from2 != size1 || size2 <= size1 || fetched2 >= fetched1 {
		t.Fatalf("first run %d..%d (%d read), second %d..%d (%d read): want the second from the first's size, reading fewer",
			from1, size1, fetched1, from2, size2, fetched2)
	}
}

// checkBundles reads every entry bundle of the tree with the stock reader:
// each entry's leaf hash is proved in the tree (tlog.ProveRecord and
// CheckRecord), says its own index, and the quoted audit id is among them;
// full bundles are cacheable, partial ones not.
func checkBundles(t *testing.T, tiles *httpTiles, thr tlog.HashReader, tree tlog.Tree, quoted string) {
	size := tree.N
	found := false
	for b := int64(0); b*256 < size; b++ {
		w := min(size-b*256, 256)
		bt := tlog.Tile{H: 8, L: -1, N: b, W: int(w)}
		r := tiles.get(tiles.path(bt))
		if r.Status != 200 {
			t.Fatalf("bundle %s: %d %s", tiles.path(bt), r.Status, r.Body)
		}
		wantCache := "private, no-store"
		if w == 256 {
			wantCache = "private, max-age=31536000, immutable"
		}
		if got := r.Header.Get("Cache-Control"); got != wantCache {
			t.Errorf("bundle %s: Cache-Control %q, want %q", tiles.path(bt), got, wantCache)
		}
		for i, body := int64(0), r.Body; len(body) > 0; i++ {
			ln := int(binary.BigEndian.Uint16(body))
			entry := body[2 : 2+ln]
			body = body[2+ln:]
			idx := b*256 + i
			p, err := tlog.ProveRecord(size, idx, thr)
			must(t, err)
			if err := tlog.CheckRecord(p, size, tree.Hash, idx, tlog.RecordHash(entry)); err != nil {
				t.Fatalf("entry %d of the bundle: %v", idx, err)
			}
			var e struct {
				ID    string `json:"id"`
				Index int64  `json:"index"`
			}
			must(t, json.Unmarshal(entry, &e))
			found = found || e.ID == quoted
			if e.Index != idx {
				t.Fatalf("entry at %d says index %d", idx, e.Index)
			}
		}
	}
	if !found {
		t.Fatalf("the quoted card read %s is in no bundle", quoted)
	}
}

// mustTile returns leaf 0's hash as the stock reader gives it.
func mustTile(t *testing.T, thr tlog.HashReader) []byte {
	hs, err := thr.ReadHashes([]int64{tlog.StoredHashIndex(0, 0)})
	must(t, err)
	return hs[0][:]
}

// sameNotFound checks that a tile past the end of the log, a partial tile
// wider than the log holds, and a path that is no tile are refused alike:
// 404, the same problem type, title and detail, no Cache-Control of a tile.
func sameNotFound(t *testing.T, l *auditLab) {
	var first *problem
	for _, p := range []string{"tile/0/abc", "nope", "tile/0/x001/000", "tile/0/999", "tile/entries/999", "tile/2/000.p/1", "tile/0/001.p/255"} {
		r := l.get("dpo", "/v1/audit/tiles/"+p, "audit_review")
		var pb problem
		if r.Status != 404 || json.Unmarshal(r.Body, &pb) != nil {
			t.Fatalf("%s: %d %s, want a 404 problem", p, r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("%s: a refusal with Cache-Control %q", p, cc)
		}
		if first == nil {
			first = &pb
		} else if pb.Type != first.Type || pb.Title != first.Title || pb.Detail != first.Detail {
			t.Errorf("%s refused as %+v, tile/0/abc as %+v", p, pb, *first)
		}
	}
}

// problem is the part of a problem+json answer that must not tell refusals
// apart.
type problem struct {
	Type, Title, Detail string
}
