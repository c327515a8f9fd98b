package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// cosigner is a witness key made with torchwood: the verifier here must
// accept what another implementation signs.
func cosigner(t testing.TB, name string) (*torchwood.CosignatureSigner, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Verifier().String()
}

func logKey(t testing.TB) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return s, v
}

func TestNewCosignatureVerifier(t *testing.T) {
	_, good := cosigner(t, "w.example")
	name, rest, _ := strings.Cut(good, "+")
	hash, key, _ := strings.Cut(rest, "+")
	_, logVkey, _ := note.GenerateKey(rand.Reader, "w.example")
	for _, tc := range []struct {
		name, vkey string
		ok         bool
	}{
		{"torchwood's key", good, true},
		{"another name", "x.example+" + rest, false},
		{"another hash", name + "+00000000+" + key, false},
		{"no hash", name + "+" + key, false},
		{"a note key of type 0x01", logVkey, false},
		{"bad base64", name + "+" + hash + "+!!", false},
		{"a name with a space", "w example+" + rest, false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewCosignatureVerifier(tc.vkey)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if tc.ok && v.String() != tc.vkey {
				t.Fatalf("String %q, want %q", v.String(), tc.vkey)
			}
		})
	}
}

// TestCosignatures: of the lines a note carries, only a named witness's
// valid cosignature of this very checkpoint counts.
func TestCosignatures(t *testing.T) {
	ls, lv := logKey(t)
	a, akey := cosigner(t, "a.example")
	b, bkey := cosigner(t, "b.example")
	c, _ := cosigner(t, "c.example") // not a witness of the cell
	av, _ := NewCosignatureVerifier(akey)
	bv, _ := NewCosignatureVerifier(bkey)
	cp := Checkpoint{Origin: Origin("x"), Size: 5}
	other := Checkpoint{Origin: Origin("x"), Size: 5, Hash: [32]byte{1}}
	signed, err := Sign(cp, ls)
	if err != nil {
		t.Fatal(err)
	}
	line := func(s note.Signer, c Checkpoint) string {
		n, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
		if err != nil {
			t.Fatal(err)
		}
		return string(n[len(c.Text())+1:])
	}
	ws := []note.Verifier{av, bv}
	for _, tc := range []struct {
		name    string
		lines   []string
		valid   []string
		invalid []string
	}{
		{"none", nil, nil, nil},
		{"both", []string{line(a, cp), line(b, cp)}, []string{"a.example", "b.example"}, nil},
		{"one of another tree", []string{line(a, cp), line(b, other)}, []string{"a.example"}, []string{"b.example"}},
		{"a stranger's", []string{line(c, cp)}, nil, nil},
		{"a bad line before a good one", []string{line(b, other), line(a, cp), line(b, cp)}, []string{"a.example", "b.example"}, nil},
		{"two bad lines of one witness", []string{line(b, other), line(b, other)}, nil, []string{"b.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			valid, invalid := Cosignatures(WithSignatures(signed, tc.lines), lv, ws)
			if len(valid) != len(tc.valid) || strings.Join(invalid, ",") != strings.Join(tc.invalid, ",") {
				t.Fatalf("valid %v invalid %v, want %v %v", valid, invalid, tc.valid, tc.invalid)
			}
			for _, n := range tc.valid {
				if valid[n] == "" {
					t.Fatalf("%s missing from %v", n, valid)
				}
			}
			if _, err := OpenWith(WithSignatures(signed, tc.lines), lv, ""); err != nil {
				t.Fatalf("the log's own reader refuses the cosigned note: %v", err)
			}
		})
	}
	t.Run("a note the log did not sign has none", func(t *testing.T) {
		fs, _ := logKey(t)
		forged, _ := Sign(cp, fs)
		if valid, _ := Cosignatures(WithSignatures(forged, []string{line(a, cp)}), lv, ws); len(valid) != 0 {
			t.Fatalf("valid %v", valid)
		}
	})
}

// FuzzCosignatures: whatever lines a stored or served note carries, reading
// its cosignatures never panics, and a line it calls valid verifies alone.
func FuzzCosignatures(f *testing.F) {
	ls, lv := logKey(f)
	a, akey := cosigner(f, "a.example")
	av, _ := NewCosignatureVerifier(akey)
	cp := Checkpoint{Origin: Origin("x"), Size: 3}
	signed, _ := Sign(cp, ls)
	n, _ := note.Sign(&note.Note{Text: string(cp.Text())}, a)
	f.Add(signed, []byte(n[len(cp.Text())+1:]))
	f.Add(signed, []byte("— a.example AAAA\n"))
	f.Add([]byte("x\n\n\n"), []byte("\n"))
	f.Fuzz(func(t *testing.T, base, lines []byte) {
		msg := append(append([]byte{}, base...), lines...)
		valid, _ := Cosignatures(msg, lv, []note.Verifier{av})
		for _, line := range valid {
			text, _, _ := splitNote(msg)
			if _, err := note.Open(append(append(append([]byte{}, text...), '\n'), line...), note.VerifierList(av)); err != nil {
				t.Fatalf("a line called valid does not verify: %q", line)
			}
		}
	})
}
