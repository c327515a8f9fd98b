package envelope

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"filippo.io/age/armor"

	"github.com/livc/livc-broker/broker"
)

// Malformed envelopes: every header bit flipped, every truncation, and
// armor that is reflowed or padded.

// TestOpenEveryHeaderBitFlip flips one bit in every byte of the header of
// both kinds of envelope: each must be refused, as a header or recipient
// failure, never as success.
func TestOpenEveryHeaderBitFlip(t *testing.T) {
	fx := loadFixtures(t)
	o := fx.opener()
	plain := randomBytes(t, 2048)
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			env := mustSeal(t, fx.recipient(kind), plain, false)
			for i := range headerLen(t, env) {
				got, err := o.Open(flip(env, i), 4096)
				if err == nil {
					t.Fatalf("flip at %d accepted", i)
				}
				if got != nil {
					t.Fatalf("flip at %d returned plaintext", i)
				}
				if !errors.Is(err, ErrHeader) && !errors.Is(err, ErrRecipient) && !errors.Is(err, ErrNotAge) {
					t.Fatalf("flip at %d: error %v", i, err)
				}
			}
		})
	}
}

// TestOpenEveryTruncation truncates a small envelope at every length.
func TestOpenEveryTruncation(t *testing.T) {
	fx := loadFixtures(t)
	o := fx.opener()
	for _, kind := range kinds {
		for _, armored := range []bool{false, true} {
			env := mustSeal(t, fx.recipient(kind), []byte("signal"), armored)
			for n := range len(env) {
				if armored && len(bytes.TrimSpace(env[n:])) == 0 {
					continue // only trailing whitespace cut: still the whole file
				}
				if got, err := o.Open(env[:n], 4096); err == nil || got != nil {
					t.Fatalf("%s armored=%v: truncation at %d of %d accepted", kind, armored, n, len(env))
				}
			}
		}
	}
}

func TestOpenAllowsArmorWhitespace(t *testing.T) {
	fx := loadFixtures(t)
	arm := mustSeal(t, fx.recipient("hybrid"), []byte("signal"), true)
	for name, env := range map[string][]byte{
		"leading":  append([]byte("\n  \n"), arm...),
		"trailing": append(bytes.Clone(arm), "\n\n"...),
		"crlf":     bytes.ReplaceAll(arm, []byte("\n"), []byte("\r\n")),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := fx.opener().Open(env, 100)
			if err != nil || string(got) != "signal" {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

// TestArmorReflowRefused checks the armor is parsed strictly: valid base64
// re-wrapped on one long line is refused.
func TestArmorReflowRefused(t *testing.T) {
	fx := loadFixtures(t)
	arm := mustSeal(t, fx.recipient("x25519"), randomBytes(t, 300), true)
	lines := strings.Split(strings.TrimSpace(string(arm)), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	if _, err := base64.StdEncoding.DecodeString(body); err != nil {
		t.Fatal(err)
	}
	reflowed := armor.Header + "\n" + body + "\n" + armor.Footer + "\n" // one long line
	got, err := fx.opener().Open([]byte(reflowed), 4096)
	assertRefused(t, got, err, ErrArmor, broker.KindBadRequest)
}

// otherLastChar changes the last character of a Bech32 string to another
// character of the Bech32 alphabet, breaking its checksum.
func otherLastChar(s string) string {
	c := byte('q')
	if s[len(s)-1] == c {
		c = 'p'
	}
	return s[:len(s)-1] + string(c)
}
