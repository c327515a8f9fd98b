package auditlog

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is a tlog built with the library's own stored hashes, to check the
// replayer's O(log n) tree against.
type memLog struct{ hashes []tlog.Hash }

func (m *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memLog) add(t *testing.T, n int64, data []byte) {
	hs, err := tlog.StoredHashes(n, data, m)
	if err != nil {
		t.Fatal(err)
	}
	m.hashes = append(m.hashes, hs...)
}

func entryBytes(i int64) []byte { return fmt.Appendf(nil, `{"id":"aud_%d","index":%d}`, i, i) }

func TestReplayerRootMatchesTlog(t *testing.T) {
	m := &memLog{}
	r := NewReplayer(nil)
	for i := range int64(300) {
		m.add(t, i, entryBytes(i))
		if p := r.Add(entryBytes(i), ""); p != nil {
			t.Fatal(p)
		}
		want, err := tlog.TreeHash(i+1, m)
		if err != nil {
			t.Fatal(err)
		}
		if r.Root() != want {
			t.Fatalf("size %d: root %v, tlog %v", i+1, r.Root(), want)
		}
	}
}

func TestReplayerFindsFirstBadEntry(t *testing.T) {
	const n = 40
	m := &memLog{}
	var cps []Checkpoint
	for i := range int64(n) {
		m.add(t, i, entryBytes(i))
		if (i+1)%10 == 0 {
			h, _ := tlog.TreeHash(i+1, m)
			cps = append(cps, Checkpoint{Origin: Origin("c"), Size: i + 1, Hash: h})
		}
	}
	leaf := func(b []byte) string { h := LeafHash(b); return fmt.Sprintf("%x", h[:]) }
	type item struct {
		b    []byte
		leaf string
	}
	good := func() []item {
		var out []item
		for i := range int64(n) {
			out = append(out, item{entryBytes(i), leaf(entryBytes(i))})
		}
		return out
	}
	edited := []byte(`{"id":"aud_13","index":13,"x":1}`)
	for _, tc := range []struct {
		name   string
		mutate func([]item) []item
		kind   string
		index  int64
		until  int64
	}{
		{"intact", func(l []item) []item { return l }, "", 0, 0},
		{"edited", func(l []item) []item { l[13].b = edited; return l }, ProblemLeaf, 13, 0},
		{"deleted", func(l []item) []item { return append(l[:13], l[14:]...) }, ProblemMissing, 13, 0},
		{"swapped", func(l []item) []item { l[13], l[14] = l[14], l[13]; return l }, ProblemMissing, 13, 0},
		{"truncated", func(l []item) []item { return l[:33] }, ProblemTruncated, 33, 0},
		{"rebuilt", func(l []item) []item { l[13] = item{edited, leaf(edited)}; return l }, ProblemTree, 10, 20},
		{"duplicated", func(l []item) []item { l[14] = l[13]; return l }, ProblemOrder, 14, 0},
		{"not json", func(l []item) []item { l[5].b = []byte("x"); return l }, ProblemCorrupt, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReplayer(cps)
			for _, it := range tc.mutate(good()) {
				r.Add(it.b, it.leaf)
			}
			p := r.Finish()
			if tc.kind == "" {
				if p != nil {
					t.Fatal(p)
				}
				return
			}
			if p == nil || p.Kind != tc.kind || p.Index != tc.index || p.Until != tc.until {
				t.Fatalf("got %+v, want %s at %d until %d", p, tc.kind, tc.index, tc.until)
			}
		})
	}
}

func TestCheckpointSignOpen(t *testing.T) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "livc-broker")
	s, _ := note.NewSigner(skey)
	otherS, _, _ := note.GenerateKey(rand.Reader, "livc-broker")
	other, _ := note.NewSigner(otherS)
	cp := Checkpoint{Origin: Origin("zonnedaal"), Size: 7, Hash: tlog.RecordHash([]byte("x"))}
	signed, err := Sign(cp, s)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := Sign(cp, other)
	for _, tc := range []struct {
		name   string
		msg    []byte
		origin string
		ok     bool
	}{
		{"good", signed, Origin("zonnedaal"), true},
		{"any origin", signed, "", true},
		{"other cell", signed, Origin("other"), false},
		{"other key", forged, "", false},
		{"edited", []byte(string(signed[:len(Origin("zonnedaal"))+1]) + "8" + string(signed[len(Origin("zonnedaal"))+2:])), "", false},
		{"garbage", []byte("hello"), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(tc.msg, vkey, tc.origin)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if tc.ok && got != cp {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("livc-broker/audit/x\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("a\n-1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err != nil {
			return
		}
		if c.Size < 0 || c.Origin == "" || !bytes.HasPrefix(b, c.Text()) {
			t.Fatalf("accepted %q as %+v", b, c)
		}
		again, err := ParseCheckpoint(c.Text())
		if err != nil || again != c {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

func TestReplayerChecksStoredHashes(t *testing.T) {
	const n = 50
	m := &memLog{}
	for i := range int64(n) {
		m.add(t, i, entryBytes(i))
	}
	for _, tc := range []struct {
		name   string
		edit   func(h []tlog.Hash) []tlog.Hash
		bad    int64 // -1: none
		detail string
	}{
		{"intact", func(h []tlog.Hash) []tlog.Hash { return h }, -1, ""},
		{"leaf hash changed", func(h []tlog.Hash) []tlog.Hash {
			h[tlog.StoredHashIndex(0, 17)][0] ^= 1
			return h
		}, 17, "changed"},
		{"inner node changed", func(h []tlog.Hash) []tlog.Hash {
			h[tlog.StoredHashIndex(3, 2)][5] ^= 1 // the node over entries 16..23, stored with entry 23
			return h
		}, 23, "changed"},
		{"tail missing", func(h []tlog.Hash) []tlog.Hash {
			return h[:tlog.StoredHashCount(40)+1] // entry 40 is a left leaf: one hash; 41 has three
		}, 41, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hashes := tc.edit(append([]tlog.Hash(nil), m.hashes...))
			r := NewReplayer(nil)
			var p *Problem
			for i := range int64(n) {
				if p = r.Add(entryBytes(i), ""); p != nil {
					break
				}
				c, end := tlog.StoredHashCount(i), min(tlog.StoredHashCount(i+1), int64(len(hashes)))
				var stored []byte
				for _, h := range hashes[min(c, end):end] {
					stored = append(stored, h[:]...)
				}
				if p = r.CheckStored(stored); p != nil {
					break
				}
			}
			switch {
			case tc.bad < 0 && p != nil:
				t.Fatalf("intact stored hashes: %v", p)
			case tc.bad >= 0 && (p == nil || p.Kind != ProblemStoredHash || p.Index != tc.bad || !strings.Contains(p.Detail, tc.detail)):
				t.Fatalf("problem %v, want %s at %d (%s)", p, ProblemStoredHash, tc.bad, tc.detail)
			}
		})
	}
}

// A checkpoint's text parses only in the one form Text writes: base64 that
// skips line breaks would let two texts stand for one checkpoint.
func TestParseCheckpointCanonical(t *testing.T) {
	cp := Checkpoint{Origin: Origin("zonnedaal"), Size: 7, Hash: tlog.RecordHash([]byte("x"))}
	good := cp.Text()
	if got, err := ParseCheckpoint(good); err != nil || got != cp {
		t.Fatalf("its own text: %+v %v", got, err)
	}
	lines := strings.SplitN(string(good), "\n", 4)
	for name, hash := range map[string]string{
		"carriage return in the hash": lines[2][:10] + "\r" + lines[2][10:],
		"hash without padding":        strings.TrimRight(lines[2], "="),
		"hash with a space":           " " + lines[2],
	} {
		t.Run(name, func(t *testing.T) {
			text := lines[0] + "\n" + lines[1] + "\n" + hash + "\n"
			if got, err := ParseCheckpoint([]byte(text)); err == nil {
				t.Errorf("accepted %q as %+v", text, got)
			}
		})
	}
}
