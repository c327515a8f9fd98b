package auditlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// FuzzReplayerAdd feeds stored entries (lines of data, each with the leaf
// hash stored next to it: the right one, none, or the fuzzer's) to a
// Replayer, as verify does with what it reads from Redis or an export. Add
// must never panic, must accept an entry only if it is a JSON object whose
// index is its position, and must keep its first problem.
func FuzzReplayerAdd(f *testing.F) {
	for _, s := range []struct {
		data string
		leaf string
		mode uint8
	}{
		{`{"index":0}` + "\n" + `{"index":1}`, "", 0},
		{`{"index":0,"actor":"pz"}` + "\n" + `{"index":2}`, "", 1},
		{`{"index":1}`, "00", 2},
		{`{"index":0}` + "\n" + `[1,2]` + "\n" + `{"index":"0"}`, "", 0},
		{`{"index":-1}` + "\n" + `{"index":0.5}` + "\n" + `{"index":9223372036854775807}`, "", 1},
	} {
		f.Add([]byte(s.data), s.leaf, s.mode)
	}
	f.Fuzz(func(t *testing.T, data []byte, leaf string, mode uint8) {
		r := NewReplayer(nil)
		var first *Problem
		for i, doc := range bytes.Split(data, []byte("\n")) {
			stored := leaf
			switch mode % 3 {
			case 0:
				h := LeafHash(doc)
				stored = hex.EncodeToString(h[:])
			case 1:
				stored = ""
			}
			before := r.Size()
			p := r.Add(doc, stored)
			if first != nil {
				if p != first {
					t.Fatalf("entry %d: problem %v replaced the first, %v", i, p, first)
				}
				continue
			}
			if p != nil {
				first = p
				if r.Size() != before {
					t.Fatalf("a refused entry was counted")
				}
				continue
			}
			var head struct{ Index *int64 }
			if json.Unmarshal(doc, &head) != nil || head.Index == nil || *head.Index != before {
				t.Fatalf("accepted %q at position %d", doc, before)
			}
			if r.Size() != before+1 {
				t.Fatalf("size %d after entry %d", r.Size(), before)
			}
		}
		if first == nil && r.Finish() != nil {
			t.Fatalf("Finish with no checkpoint: %v", r.Finish())
		}
	})
}

// fuzzKey is a fixed checkpoint key, so that the committed corpus of
// FuzzOpenCheckpoint keeps meaning the same notes.
func fuzzKey(f *testing.F) (note.Signer, note.Verifier) {
	skey, vkey, err := note.GenerateKey(strings.NewReader(strings.Repeat("livc fuzz key ", 8)), "livc-broker")
	if err != nil {
		f.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		f.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	return s, v
}

// FuzzOpenCheckpoint opens signed checkpoints as verify, the witness file
// and livcctl read them from untrusted storage: it must never panic, and a
// note it accepts must be one the key signed, of the origin asked for.
func FuzzOpenCheckpoint(f *testing.F) {
	s, v := fuzzKey(f)
	good, err := Sign(Checkpoint{Origin: Origin("zonnedaal"), Size: 21}, s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append([]byte("\n\n"), good...))
	f.Add(bytes.Replace(good, []byte("\n21\n"), []byte("\n22\n"), 1))
	f.Add([]byte("livc-broker/audit/zonnedaal\n21\nAAAA\n\n\u2014 livc-broker AAAA\n"))
	f.Fuzz(func(t *testing.T, signed []byte) {
		c, err := OpenWith(signed, v, Origin("zonnedaal"))
		if err != nil {
			return
		}
		if c.Origin != Origin("zonnedaal") || c.Size < 0 {
			t.Fatalf("accepted %+v", c)
		}
		resigned, err := Sign(c, s)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := OpenWith(resigned, v, ""); err != nil || again != c {
			t.Fatalf("%+v signed again opens as %+v, %v", c, again, err)
		}
	})
}
