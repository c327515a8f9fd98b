package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/livc/livc-broker/broker"
)

const fuzzLimit = 4096

// reasons are every error Open may report.
var reasons = []error{ErrNotAge, ErrArmor, ErrHeader, ErrRecipient, ErrPayload, ErrTooLarge}

// FuzzOpen feeds arbitrary bytes to Open. Seeds are in testdata/fuzz/FuzzOpen
// (valid envelopes to the test identities, binary and armored, and damaged
// ones). Properties: Open never panics; on error it returns no plaintext and
// one of the fixed reasons, nothing else; on success the plaintext fits the
// limit, opening again gives the same plaintext, and an Opener holding only
// other identities refuses the same input, so nothing opens unless it was
// encrypted to the test identities.
func FuzzOpen(f *testing.F) {
	fx := loadFixtures(f)
	o := fx.opener()
	strangerX, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	strangerPQ, err := age.GenerateHybridIdentity()
	if err != nil {
		f.Fatal(err)
	}
	strangers := NewOpener(strangerX, strangerPQ)
	for _, s := range seedEnvelopes(f, fx) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, env []byte) {
		plain, err := o.Open(env, fuzzLimit)
		if err != nil {
			if plain != nil {
				t.Fatal("plaintext returned with an error")
			}
			checkReason(t, err)
			return
		}
		if len(plain) > fuzzLimit {
			t.Fatalf("%d bytes over the limit %d", len(plain), fuzzLimit)
		}
		again, err := o.Open(env, fuzzLimit)
		if err != nil || !bytes.Equal(again, plain) {
			t.Fatalf("second Open differs: %v", err)
		}
		if _, err := strangers.Open(env, fuzzLimit); err == nil {
			t.Fatal("an envelope opened with unrelated identities")
		}
	})
}

func checkReason(t *testing.T, err error) {
	t.Helper()
	var be *broker.Error
	if !errors.As(err, &be) {
		t.Fatalf("error %v is not a *broker.Error", err)
	}
	for _, r := range reasons {
		if errors.Is(err, r) && be.Detail == r.Error() {
			return
		}
	}
	t.Fatalf("error %q is not one of the fixed reasons", err)
}

// seedEnvelopes returns valid envelopes of each kind and damaged variants.
func seedEnvelopes(tb testing.TB, fx fixtures) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, kind := range kinds {
		for _, armored := range []bool{false, true} {
			env := mustSeal(tb, fx.recipient(kind), []byte(`{"fields":{"presence":"absent"}}`), armored)
			seeds = append(seeds, env, env[:len(env)/2], append(bytes.Clone(env), '\n', 'x'))
		}
	}
	bin := mustSeal(tb, fx.recipient("x25519"), []byte("seed"), false)
	seeds = append(seeds,
		nil,
		[]byte("age-encryption.org/v1\n"),
		[]byte("age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- AAAA\n"),
		[]byte(armor.Header+"\n"+armor.Footer+"\n"),
		[]byte(armor.Header+"\nYWdl\n"+armor.Footer+"\n"),
		flip(bin, headerLen(tb, bin)-3),
		flip(bin, len(bin)-1),
	)
	return seeds
}

// TestFuzzSeeds keeps testdata/fuzz/FuzzOpen in step with the test
// identities: the valid seeds there must open. Run with
// LIVC_WRITE_FUZZ_SEEDS=1 to rewrite them.
func TestFuzzSeeds(t *testing.T) {
	fx := loadFixtures(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if os.Getenv("LIVC_WRITE_FUZZ_SEEDS") != "" {
		writeSeeds(t, dir, seedEnvelopes(t, fx))
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds in %s (%v)", dir, err)
	}
	opened := 0
	for _, name := range files {
		env := readSeed(t, name)
		if _, err := fx.opener().Open(env, fuzzLimit); err == nil {
			opened++
		}
	}
	if opened < 4 {
		t.Fatalf("only %d seeds open with the test identities, want at least 4 (one per kind and encoding)", opened)
	}
}

func writeSeeds(t *testing.T, dir string, seeds [][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", name)
	}
	lit, ok := strings.CutPrefix(lines[1], "[]byte(")
	lit, ok2 := strings.CutSuffix(lit, ")")
	if !ok || !ok2 {
		t.Fatalf("%s: want one []byte value", name)
	}
	s, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}
