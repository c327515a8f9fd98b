package auditclient

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// fakeLog serves a log of entries {"index":i} as tlog-tiles from memory,
// with golang.org/x/mod/sumdb/tlog's own tile data, and counts what it
// serves.
type fakeLog struct {
	t       *testing.T
	signer  note.Signer
	entries [][]byte
	hashes  []tlog.Hash
	fetched []string
}

func newFakeLog(t *testing.T) (*fakeLog, note.Verifier) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return &fakeLog{t: t, signer: s}, v
}

func (f *fakeLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = f.hashes[x]
	}
	return out, nil
}

func (f *fakeLog) add(n int, edit func(i int, e []byte) []byte) {
	for range n {
		i := len(f.entries)
		e := []byte(fmt.Sprintf(`{"actor":"pz","index":%d}`, i))
		if edit != nil {
			e = edit(i, e)
		}
		hs, err := tlog.StoredHashes(int64(i), e, f)
		if err != nil {
			f.t.Fatal(err)
		}
		f.entries = append(f.entries, e)
		f.hashes = append(f.hashes, hs...)
	}
}

func (f *fakeLog) Fetch(_ context.Context, path string) ([]byte, error) {
	f.fetched = append(f.fetched, path)
	n := int64(len(f.entries))
	if path == "checkpoint" {
		root, err := tlog.TreeHash(n, f)
		if err != nil {
			return nil, err
		}
		return auditlog.Sign(auditlog.Checkpoint{Origin: "livc-broker/audit/test", Size: n, Hash: root}, f.signer)
	}
	t, err := auditlog.ParseTilePath(path)
	if err != nil || t.N*256+int64(t.W) > n>>(8*max(t.L, 0)) {
		return nil, ErrNotFound
	}
	if t.L >= 0 {
		return tlog.ReadTileData(t, f)
	}
	var b []byte
	for i := t.N * 256; i < t.N*256+int64(t.W); i++ {
		b, _ = auditlog.AppendBundleEntry(b, f.entries[i])
	}
	return b, nil
}

// TestVerifyIncremental verifies a log of 5000 entries, then again after 300
// more: the second run reads no full tile or bundle of the entries verified
// before (only the checkpoint, the tiles of the consistency proof, which
// hold hashes of the new entries, and those of the new entries), far fewer
// than the first; the state survives a file round trip.
func TestVerifyIncremental(t *testing.T) {
	ctx := context.Background()
	f, v := newFakeLog(t)
	f.add(5000, nil)
	file := filepath.Join(t.TempDir(), "state.json")
	st, err := LoadState(file)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Verify(ctx, f, v, st)
	if err != nil || first.From != 0 || first.Size != 5000 {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	if err := SaveState(file, st); err != nil {
		t.Fatal(err)
	}
	f.add(300, nil)
	f.fetched = nil
	st, err = LoadState(file)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Verify(ctx, f, v, st)
	if err != nil || second.From != 5000 || second.Size != 5300 {
		t.Fatalf("second run: %+v, %v", second, err)
	}
	t.Logf("first run: %d fetches; second: %d: %v", first.Fetched, second.Fetched, f.fetched)
	for _, p := range f.fetched {
		if p == "checkpoint" {
			continue
		}
		tile, err := auditlog.ParseTilePath(p)
		if err != nil {
			t.Fatalf("fetched %q", p)
		}
		// A tile or bundle that ends at or before entry 5000 (level 0 and
		// bundles) was read by the first run.
		if tile.L <= 0 && tile.N*256+int64(tile.W) <= 5000 {
			t.Errorf("the second run read %s again: its entries were verified before", p)
		}
	}
	if second.Fetched > 8 || second.Fetched*4 > first.Fetched {
		t.Errorf("second run: %d fetches; first %d", second.Fetched, first.Fetched)
	}
}

// tampered serves a fake log with one byte of one path flipped.
type tampered struct {
	*fakeLog
	path string
}

func (f *tampered) Fetch(ctx context.Context, path string) ([]byte, error) {
	b, err := f.fakeLog.Fetch(ctx, path)
	if err == nil && path == f.path {
		b = append([]byte(nil), b...)
		b[len(b)-3] ^= 1
	}
	return b, err
}

// TestVerifyRefuses checks what a run after a first one refuses, each with
// the state kept as it was: a log rebuilt with one old entry changed (every
// hash recomputed and signed again), a log cut shorter, a new entry that is
// not the tree's leaf, a tile that is not the tree's, and a checkpoint
// signed with another key.
func TestVerifyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(f *fakeLog) Fetcher
		want string
	}{
		{"rebuilt", func(f *fakeLog) Fetcher {
			g := &fakeLog{t: f.t, signer: f.signer}
			g.add(400, func(i int, e []byte) []byte {
				if i == 3 {
					return []byte(strings.Replace(string(e), "pz", "xx", 1))
				}
				return e
			})
			return g
		}, "rebuilt"},
		{"cut", func(f *fakeLog) Fetcher {
			g := &fakeLog{t: f.t, signer: f.signer}
			g.add(200, nil)
			return g
		}, "fewer"},
		{"a new entry changed", func(f *fakeLog) Fetcher {
			f.add(50, nil)
			return &tampered{fakeLog: f, path: "tile/entries/001.p/94"}
		}, "changed"},
		{"a tile not the tree's", func(f *fakeLog) Fetcher {
			f.add(50, nil)
			return &tampered{fakeLog: f, path: "tile/0/001.p/94"}
		}, "inconsistent"},
		{"another key", func(f *fakeLog) Fetcher {
			g, _ := newFakeLog(f.t)
			g.add(400, nil)
			return g
		}, "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f, v := newFakeLog(t)
			f.add(300, nil)
			st := &State{}
			if _, err := Verify(ctx, f, v, st); err != nil {
				t.Fatal(err)
			}
			saved := st.Checkpoint
			_, err := Verify(ctx, tc.then(f), v, st)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if st.Checkpoint != saved {
				t.Fatal("the state moved on after a refusal")
			}
		})
	}
}
