package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/livc/livc-broker/broker"
)

// fixtures are the test identities of testdata/identities.txt: one X25519,
// one hybrid post-quantum. They are fixed so that the fuzz seeds stay valid.
type fixtures struct {
	x25519 *age.X25519Identity
	hybrid *age.HybridIdentity
}

func loadFixtures(tb testing.TB) fixtures {
	tb.Helper()
	f, err := os.Open("testdata/identities.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		tb.Fatal(err)
	}
	var fx fixtures
	for _, id := range ids {
		switch id := id.(type) {
		case *age.X25519Identity:
			fx.x25519 = id
		case *age.HybridIdentity:
			fx.hybrid = id
		}
	}
	if fx.x25519 == nil || fx.hybrid == nil {
		tb.Fatal("testdata/identities.txt must hold one X25519 and one hybrid identity")
	}
	return fx
}

func (fx fixtures) opener() *Opener { return NewOpener(fx.x25519, fx.hybrid) }

func (fx fixtures) recipient(kind string) string {
	if kind == "hybrid" {
		return fx.hybrid.Recipient().String()
	}
	return fx.x25519.Recipient().String()
}

func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustSeal(tb testing.TB, recipient string, plain []byte, armored bool) []byte {
	tb.Helper()
	env, err := Seal([]string{recipient}, plain, armored)
	if err != nil {
		tb.Fatalf("Seal: %v", err)
	}
	return env
}

// headerLen returns the length of a binary age header, MAC line included.
func headerLen(tb testing.TB, env []byte) int {
	tb.Helper()
	i := bytes.Index(env, []byte("\n--- "))
	if i < 0 {
		tb.Fatal("no MAC line in envelope")
	}
	j := bytes.IndexByte(env[i+1:], '\n')
	return i + 1 + j + 1
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// replaceAt returns b with the byte at i set to v.
func replaceAt(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

// reencode changes the base64 character at i into another character of the
// alphabet, so that the header still parses and the change reaches the
// stanza's unwrap (a flipped bit may leave the alphabet: see flip).
func reencode(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if c[i] == 'A' {
		c[i] = 'B'
	} else {
		c[i] = 'A'
	}
	return c
}

var kinds = []string{"x25519", "hybrid"}

func TestOpenRoundTrip(t *testing.T) {
	fx := loadFixtures(t)
	o := fx.opener()
	sizes := []int{0, 1, 2048, 64 << 10, 64<<10 + 1, 200 << 10}
	for _, kind := range kinds {
		for _, armored := range []bool{false, true} {
			for _, size := range sizes {
				name := kind + "/" + map[bool]string{false: "binary", true: "armored"}[armored] + "/" + strconv.Itoa(size)
				t.Run(name, func(t *testing.T) {
					plain := randomBytes(t, size)
					env := mustSeal(t, fx.recipient(kind), plain, armored)
					if got := isArmored(env); got != armored {
						t.Fatalf("armored = %v, want %v", got, armored)
					}
					got, err := o.Open(env, int64(size)) // exactly at the limit
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					if !bytes.Equal(got, plain) {
						t.Fatal("plaintext differs")
					}
				})
			}
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	fx := loadFixtures(t)
	o := fx.opener()
	stranger, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	strangerPQ, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(t, 2048)
	big := randomBytes(t, 64<<10+100) // two chunks
	bin := mustSeal(t, fx.recipient("x25519"), plain, false)
	binPQ := mustSeal(t, fx.recipient("hybrid"), plain, false)
	arm := mustSeal(t, fx.recipient("x25519"), plain, true)
	twoChunks := mustSeal(t, fx.recipient("hybrid"), big, false)
	hl, hlPQ, hl2 := headerLen(t, bin), headerLen(t, binPQ), headerLen(t, twoChunks)
	const chunk = 64<<10 + 16 // age payload chunk with its tag

	armorOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w := armor.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}

	tests := []struct {
		name  string
		env   []byte
		limit int64
		want  error
		kind  broker.Kind
	}{
		{"empty", nil, 4096, ErrNotAge, broker.KindBadRequest},
		{"plaintext json", []byte(`{"subject":{"national_number":"85073003328"}}`), 4096, ErrNotAge, broker.KindBadRequest},
		{"intro only", []byte("age-encryption.org/v1\n"), 4096, ErrHeader, broker.KindBadRequest},
		{"unknown version", []byte("age-encryption.org/v2\n-> X25519 abc\n--- abc\n"), 4096, ErrHeader, broker.KindBadRequest},
		{"armored garbage", []byte(armor.Header + "\n!!!! not base64 !!!!\n" + armor.Footer + "\n"), 4096, ErrArmor, broker.KindBadRequest},
		{"armored non-age", armorOf([]byte("hello, this is not age\n")), 4096, ErrHeader, broker.KindBadRequest},
		{"armored missing footer", bytes.TrimSuffix(arm, []byte(armor.Footer+"\n")), 4096, ErrArmor, broker.KindBadRequest},
		{"armored trailing garbage", append(bytes.Clone(arm), "x"...), 4096, ErrArmor, broker.KindBadRequest},
		{"armored second file", append(bytes.Clone(arm), arm...), 4096, ErrArmor, broker.KindBadRequest},
		{"armored flipped base64", flip(arm, len(armor.Header)+20), 4096, ErrHeader, broker.KindBadRequest},
		{"wrong recipient x25519", mustSeal(t, stranger.Recipient().String(), plain, false), 4096, ErrRecipient, broker.KindBadRequest},
		{"wrong recipient hybrid", mustSeal(t, strangerPQ.Recipient().String(), plain, true), 4096, ErrRecipient, broker.KindBadRequest},
		{"header MAC flipped", flip(bin, hl-3), 4096, ErrHeader, broker.KindBadRequest},
		{"header MAC flipped hybrid", flip(binPQ, hlPQ-3), 4096, ErrHeader, broker.KindBadRequest},
		{"stanza body changed", reencode(bin, hl-60), 4096, ErrRecipient, broker.KindBadRequest},
		{"stanza body not base64", replaceAt(bin, hl-60, '@'), 4096, ErrHeader, broker.KindBadRequest},
		{"payload nonce flipped", flip(bin, hl+3), 4096, ErrPayload, broker.KindBadRequest},
		{"payload middle flipped", flip(bin, hl+16+1000), 4096, ErrPayload, broker.KindBadRequest},
		{"payload tag flipped", flip(bin, len(bin)-1), 4096, ErrPayload, broker.KindBadRequest},
		{"payload flipped hybrid", flip(binPQ, hlPQ+500), 4096, ErrPayload, broker.KindBadRequest},
		{"truncated in intro", bin[:10], 4096, ErrNotAge, broker.KindBadRequest},
		{"truncated in header", bin[:hl/2], 4096, ErrHeader, broker.KindBadRequest},
		{"truncated before MAC newline", bin[:hl-1], 4096, ErrHeader, broker.KindBadRequest},
		{"truncated after header", bin[:hl], 4096, ErrHeader, broker.KindBadRequest},
		{"truncated in nonce", bin[:hl+8], 4096, ErrHeader, broker.KindBadRequest},
		{"truncated after nonce", bin[:hl+16], 4096, ErrPayload, broker.KindBadRequest},
		{"truncated in payload", bin[:hl+16+1024], 4096, ErrPayload, broker.KindBadRequest},
		{"truncated last byte", bin[:len(bin)-1], 4096, ErrPayload, broker.KindBadRequest},
		{"truncated at chunk boundary", twoChunks[:hl2+16+chunk], 1 << 20, ErrPayload, broker.KindBadRequest},
		{"binary trailing garbage", append(bytes.Clone(bin), 0), 4096, ErrPayload, broker.KindBadRequest},
		{"binary second file", append(bytes.Clone(bin), bin...), 1 << 20, ErrPayload, broker.KindBadRequest},
		{"over limit by one", bin, 2047, ErrTooLarge, broker.KindTooLarge},
		{"over limit armored", arm, 100, ErrTooLarge, broker.KindTooLarge},
		{"over limit zero", bin, 0, ErrTooLarge, broker.KindTooLarge},
		{"negative limit", bin, -1, ErrLimit, broker.KindInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := o.Open(tc.env, tc.limit)
			assertRefused(t, got, err, tc.want, tc.kind)
		})
	}

	t.Run("no identities", func(t *testing.T) {
		got, err := NewOpener().Open(bin, 4096)
		assertRefused(t, got, err, ErrRecipient, broker.KindBadRequest)
	})
}

// assertRefused checks that Open refused with the wanted reason and kind,
// returned no plaintext, and said nothing beyond the fixed reason.
func assertRefused(t *testing.T, got []byte, err, want error, kind broker.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("Open succeeded (%d bytes), want %v", len(got), want)
	}
	if got != nil {
		t.Errorf("Open returned %d bytes with an error", len(got))
	}
	if !errors.Is(err, want) {
		t.Errorf("error = %v, want %v", err, want)
	}
	if k := broker.KindOf(err); k != kind {
		t.Errorf("kind = %v, want %v", k, kind)
	}
	var be *broker.Error
	if !errors.As(err, &be) || be.Detail != want.Error() {
		t.Errorf("client detail of %q is not exactly the reason %q", err, want)
	}
	if strings.ReplaceAll(err.Error(), want.Error(), "") != ": " {
		t.Errorf("error text %q says more than the reason %q", err, want)
	}
}

func TestSealRecipients(t *testing.T) {
	fx := loadFixtures(t)
	x, h := fx.recipient("x25519"), fx.recipient("hybrid")
	secret := fx.x25519.String()
	tests := []struct {
		name       string
		recipients []string
		wantErr    bool
	}{
		{"x25519", []string{x}, false},
		{"hybrid", []string{h}, false},
		{"two hybrid", []string{h, h}, false},
		{"surrounding spaces", []string{" " + x + "\n"}, false},
		{"mixed", []string{x, h}, true},
		{"none", nil, true},
		{"empty string", []string{""}, true},
		{"bad checksum", []string{otherLastChar(x)}, true},
		{"bad checksum hybrid", []string{otherLastChar(h)}, true},
		{"ssh key", []string{"ssh-ed25519 AAAA"}, true},
		{"secret key", []string{secret}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := Seal(tc.recipients, []byte("answer"), false)
			if tc.wantErr {
				if err == nil {
					t.Fatal("Seal succeeded")
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret[16:])) {
					t.Fatal("error echoes a secret key")
				}
				return
			}
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if got, err := fx.opener().Open(env, 100); err != nil || string(got) != "answer" {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
	if !errors.Is(func() error { _, err := Seal([]string{x, h}, nil, true); return err }(), ErrMixedRecipients) {
		t.Error("mixed recipients: want ErrMixedRecipients")
	}
}
