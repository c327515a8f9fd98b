package envelope

import (
	"bytes"
	"errors"
	"testing"

	"filippo.io/age/armor"
)

// armorOf is the armored form of a binary envelope.
func armorOf(tb testing.TB, bin []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	if _, err := w.Write(bin); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// An envelope has one digest in every form age accepts, and no other
// envelope has it, not even one of the same plaintext to the same broker.
func TestDigest(t *testing.T) {
	fx := loadFixtures(t)
	o := fx.opener()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			plain := []byte(`{"fields":{"presence":"absent"}}`)
			bin := mustSeal(t, fx.recipient(kind), plain, false)
			forms := map[string][]byte{
				"binary":                bin,
				"armored":               armorOf(t, bin),
				"armored, blank before": append([]byte("\n \t\n"), armorOf(t, bin)...),
			}
			want, err := Digest(bin)
			if err != nil || len(want) != 64 {
				t.Fatalf("Digest = %q, %v", want, err)
			}
			for name, env := range forms {
				if _, err := o.Open(env, 1<<10); err != nil {
					t.Fatalf("%s: the form does not open (%v): the case proves nothing", name, err)
				}
				if got, err := o.Digest(env); err != nil || got != want {
					t.Errorf("%s: Digest = %q, %v; want %q", name, got, err, want)
				}
			}
			other := mustSeal(t, fx.recipient(kind), plain, false)
			if got, _ := Digest(other); got == want {
				t.Error("the same plaintext sealed again has the same digest")
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			env  []byte
			want error
		}{
			{"not age", []byte("hello"), ErrNotAge},
			{"empty", nil, ErrNotAge},
			{"malformed armor", []byte(armor.Header + "\n!!!!\n" + armor.Footer + "\n"), ErrArmor},
			{"no MAC line", []byte("age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n"), ErrHeader},
			{"a short MAC", []byte("age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- AAAA\npayload"), ErrHeader},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d, err := Digest(tc.env)
				if d != "" || !errors.Is(err, tc.want) {
					t.Fatalf("Digest = %q, %v; want %v", d, err, tc.want)
				}
				checkReason(t, err)
			})
		}
	})
}

// FuzzDigest feeds arbitrary bytes to Digest (seeds in
// testdata/fuzz/FuzzDigest, those of FuzzOpen). Properties: it never
// panics; it returns a digest or one of the fixed reasons; an envelope Open
// accepts has a digest, and its armored form has the same.
func FuzzDigest(f *testing.F) {
	fx := loadFixtures(f)
	o := fx.opener()
	for _, s := range seedEnvelopes(f, fx) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, env []byte) {
		d, err := Digest(env)
		if err != nil {
			if d != "" {
				t.Fatal("a digest returned with an error")
			}
			checkReason(t, err)
		}
		if _, oerr := o.Open(env, fuzzLimit); oerr != nil {
			return
		}
		if err != nil {
			t.Fatalf("an envelope Open accepts has no digest: %v", err)
		}
		if isArmored(env) {
			return
		}
		if again, err := Digest(armorOf(t, env)); err != nil || again != d {
			t.Fatalf("the armored form's digest %q (%v) differs from %q", again, err, d)
		}
	})
}
