package witness

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker/auditlog"
)

// TestKeys: every generated key reads back (base64 holds '+', the
// separator, about one key in two), and its verifier checks what it signs.
func TestKeys(t *testing.T) {
	for range 64 {
		skey, vkey, err := GenerateKey(rand.Reader, "w.example")
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSigner(skey)
		if err != nil {
			t.Fatalf("%v: %s", err, skey)
		}
		v, err := auditlog.NewCosignatureVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		if s.KeyHash() != v.KeyHash() || s.Name() != v.Name() {
			t.Fatal("signer and verifier disagree")
		}
	}
	for _, bad := range []string{"", "PRIVATE+KEY+w+00000000+AA==", "w+00000000+BAAA", "PRIVATE+KEY+w.example+zzzzzzzz+" + strings.Repeat("A", 44)} {
		if _, err := NewSigner(bad); err == nil {
			t.Errorf("NewSigner(%q) accepted", bad)
		}
	}
}

func TestQuorum(t *testing.T) {
	l := newMemLog(t, "cell")
	l.add(t, 4, "a")
	cp, signed := l.checkpoint(t)
	logV, _ := note.NewVerifier(l.vkey)
	as, av := newWitnessKey(t, "a.example")
	bs, bv := newWitnessKey(t, "b.example")
	_, cv := newWitnessKey(t, "c.example")
	line := func(s note.Signer, text []byte) string {
		n, err := note.Sign(&note.Note{Text: string(text)}, s)
		if err != nil {
			t.Fatal(err)
		}
		return string(n[len(text)+1:])
	}
	other := cp
	other.Hash[0] ^= 1
	ws := []note.Verifier{av, bv, cv}
	for _, tc := range []struct {
		name             string
		lines            []string
		need             int
		ok               bool
		missing, invalid string
	}{
		{"two of three, need two", []string{line(as, cp.Text()), line(bs, cp.Text())}, 2, true, "", ""},
		{"two of three, need three", []string{line(as, cp.Text()), line(bs, cp.Text())}, 3, false, "c.example", ""},
		{"none", nil, 1, false, "a.example,b.example,c.example", ""},
		{"one of another tree", []string{line(as, cp.Text()), line(bs, other.Text())}, 2, false, "c.example", "b.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Quorum(auditlog.WithSignatures(signed, tc.lines), logV, ws, tc.need)
			if tc.ok != (err == nil) {
				t.Fatalf("err %v", err)
			}
			var qe *QuorumError
			if !tc.ok && (!errors.As(err, &qe) || strings.Join(qe.Missing, ",") != tc.missing || strings.Join(qe.Invalid, ",") != tc.invalid) {
				t.Fatalf("err %#v, want missing %q invalid %q", err, tc.missing, tc.invalid)
			}
		})
	}
	t.Run("a quorum larger than the keys", func(t *testing.T) {
		if _, err := Quorum(signed, logV, ws, 4); err == nil {
			t.Fatal("accepted")
		}
	})
}
