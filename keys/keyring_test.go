package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
)

var jan = broker.Identity{NationalNumber: "85.07.30-033.28", FamilyName: "Peeters", GivenName: "Jan", BirthDate: "1985-07-30"}

// TestGoldenPseudonyms pins the derivation: a change here unlinks every
// person of every deployed broker from their records.
func TestGoldenPseudonyms(t *testing.T) {
	kr := fixture(t)
	got := kr.Aliases("gent", jan)
	want := []string{
		"2690e6fa5f8936f670e755facd4aaa8a92e2852c17c13df0ffcd6366547e07be",
		"dbd6d0b1befc1f44c246e7f3acd5a19d2ddc747cf40d01c4180f7fe365c7ad63",
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Aliases = %v, want %v", got, want)
	}
}

func TestAliases(t *testing.T) {
	kr := fixture(t)
	nnOnly := func(nn string) broker.Identity { return broker.Identity{NationalNumber: nn} }
	named := func(f, g, b string) broker.Identity {
		return broker.Identity{FamilyName: f, GivenName: g, BirthDate: b}
	}
	one := func(livc string, id broker.Identity) string {
		t.Helper()
		a := kr.Aliases(livc, id)
		if len(a) != 1 {
			t.Fatalf("Aliases(%q) = %d aliases, want 1", livc, len(a))
		}
		return a[0]
	}

	same := []struct {
		name string
		a, b broker.Identity
	}{
		{"national number formatting", nnOnly("85.07.30-033.28"), nnOnly("85073003328")},
		{"national number spaces", nnOnly(" 85 07 30 033 28 "), nnOnly("85073003328")},
		{"name case", named("PEETERS", "JAN", "1985-07-30"), named("peeters", "jan", "1985-07-30")},
		{"name whitespace", named("  Van  den\tBroeck ", "Jan", " 1985-07-30"), named("Van den Broeck", "Jan", "1985-07-30")},
		{"name NFC", named("Daniël", "Zoë", "2001-02-03"), named("Danie\u0308l", "Zoe\u0308", "2001-02-03")},
		{"non-ASCII case", named("ÉLISE", "ÇA", "2001-02-03"), named("élise", "ça", "2001-02-03")},
	}
	for _, tc := range same {
		t.Run("same/"+tc.name, func(t *testing.T) {
			if one("gent", tc.a) != one("gent", tc.b) {
				t.Fatal("aliases differ")
			}
		})
	}

	differ := []struct {
		name         string
		livcA, livcB string
		a, b         broker.Identity
	}{
		{"other cell", "gent", "antwerpen", nnOnly("85073003328"), nnOnly("85073003328")},
		{"other number", "gent", "gent", nnOnly("85073003328"), nnOnly("85073003329")},
		{"other birth date", "gent", "gent", named("Peeters", "Jan", "1985-07-30"), named("Peeters", "Jan", "1985-07-31")},
		{"fields not concatenated", "gent", "gent", named("ab", "c", "1985-07-30"), named("a", "bc", "1985-07-30")},
		{"kind separates", "gent", "gent", nnOnly("85073003328"), named("85073003328", "x", "y")},
	}
	for _, tc := range differ {
		t.Run("differ/"+tc.name, func(t *testing.T) {
			if one(tc.livcA, tc.a) == one(tc.livcB, tc.b) {
				t.Fatal("aliases collide")
			}
		})
	}

	t.Run("national number first", func(t *testing.T) {
		all := kr.Aliases("gent", jan)
		if len(all) != 2 || all[0] != one("gent", nnOnly(jan.NationalNumber)) ||
			all[1] != one("gent", named(jan.FamilyName, jan.GivenName, jan.BirthDate)) {
			t.Fatalf("Aliases = %v", all)
		}
	})
	t.Run("names nobody", func(t *testing.T) {
		for _, id := range []broker.Identity{
			{}, {NationalNumber: " .- "}, {FamilyName: "Peeters", GivenName: "Jan"},
			{FamilyName: "Peeters", BirthDate: "1985-07-30"}, {FamilyName: " ", GivenName: "\t", BirthDate: " "},
		} {
			if a := kr.Aliases("gent", id); len(a) != 0 {
				t.Errorf("Aliases(%+v) = %v, want none", id, a)
			}
		}
	})
	t.Run("hex", func(t *testing.T) {
		for _, a := range kr.Aliases("gent", jan) {
			if b, err := hex.DecodeString(a); err != nil || len(b) != 32 {
				t.Fatalf("alias %q is not 32 bytes of hex", a)
			}
		}
	})
	t.Run("keyed", func(t *testing.T) {
		other, err := Create(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if kr.Aliases("gent", jan)[0] == other.Aliases("gent", jan)[0] {
			t.Fatal("another secret gives the same alias")
		}
	})
}

func TestRecipientsAndIdentities(t *testing.T) {
	kr := fixture(t)
	rs := kr.Recipients()
	if len(rs) != 2 || !strings.HasPrefix(rs[0], "age1") || strings.HasPrefix(rs[0], "age1pq1") || !strings.HasPrefix(rs[1], "age1pq1") {
		t.Fatalf("Recipients = %v, want X25519 then hybrid", rs)
	}
	ids := kr.Identities()
	for i, r := range rs {
		rec, err := parseRecipientForTest(r)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, rec)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("signal"))
		w.Close()
		out, err := age.Decrypt(&buf, ids...)
		if err != nil {
			t.Fatalf("recipient %d: %v", i, err)
		}
		var got bytes.Buffer
		got.ReadFrom(out)
		if got.String() != "signal" {
			t.Fatalf("recipient %d: got %q", i, got.String())
		}
	}
}

func parseRecipientForTest(s string) (age.Recipient, error) {
	if strings.HasPrefix(s, "age1pq1") {
		return age.ParseHybridRecipient(s)
	}
	return age.ParseX25519Recipient(s)
}

func TestCheckpointKeys(t *testing.T) {
	kr := fixture(t)
	signer, err := kr.CheckpointSigner()
	if err != nil {
		t.Fatal(err)
	}
	if signer.Name() != CheckpointKeyName {
		t.Fatalf("signer name = %q", signer.Name())
	}
	verifier, err := note.NewVerifier(kr.CheckpointVerifierKey())
	if err != nil {
		t.Fatalf("verifier key: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: "livc-broker/gent\n3\nAAAA\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(verifier)); err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	tampered := bytes.Replace(msg, []byte("3\n"), []byte("4\n"), 1)
	if _, err := note.Open(tampered, note.VerifierList(verifier)); err == nil {
		t.Fatal("tampered checkpoint verifies")
	}
	if strings.Contains(kr.CheckpointVerifierKey(), "PRIVATE") {
		t.Fatal("verifier key holds the private key")
	}
}

// TestParseCheckpointManyKeys derives the verifier of many fresh signer keys,
// whose base64 often holds "+", the field separator of note keys.
func TestParseCheckpointManyKeys(t *testing.T) {
	for i := range 200 {
		skey, vkey, err := note.GenerateKey(rand.Reader, CheckpointKeyName)
		if err != nil {
			t.Fatal(err)
		}
		var kr Keyring
		if err := kr.parseCheckpoint(skey); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if kr.verifier != vkey {
			t.Fatalf("key %d: derived verifier differs from the generated one", i)
		}
	}
}

func TestKeyringRedacted(t *testing.T) {
	dir := fixtureDir(t)
	kr, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "keys", kr)
	outputs := []string{
		fmt.Sprint(kr), fmt.Sprintf("%v %+v %#v %s", kr, kr, kr, kr), logged.String(),
	}
	for _, s := range secretsOf(t, dir) {
		for _, out := range outputs {
			if strings.Contains(out, s) {
				t.Fatalf("key material in %q", out)
			}
		}
	}
	if !strings.Contains(logged.String(), kr.Recipients()[0]) {
		t.Fatalf("slog output %q lacks the public recipient", logged.String())
	}
}
