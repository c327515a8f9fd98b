package keys

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

func TestSealOpenRoundTrip(t *testing.T) {
	kr := fixture(t)
	wrapped, err := kr.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(wrapped)
	if err != nil || len(wrapped) != wrappedSize2 || info.Version != 2 || info.KEK != kr.CurrentKEK() || info.Epoch != 1 {
		t.Fatalf("wrapped key %d bytes, header %x (%+v, %v); want version 2, the KEK id and epoch 1", len(wrapped), wrapped[:9], info, err)
	}
	for _, size := range []int{0, 1, 2048, 1 << 20} {
		plain := make([]byte, size)
		rand.Read(plain)
		sealed, err := kr.Seal(wrapped, []byte("gent/s_x/sig_1"), plain)
		if err != nil {
			t.Fatal(err)
		}
		if size > 16 && bytes.Contains(sealed, plain[:16]) {
			t.Fatal("plaintext visible in sealed record")
		}
		got, err := kr.Open(wrapped, []byte("gent/s_x/sig_1"), sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: Open = %v", size, err)
		}
	}
	a, _ := kr.NewDataKey()
	b, _ := kr.NewDataKey()
	if bytes.Equal(a, b) {
		t.Fatal("two data keys are equal")
	}
	s1, _ := kr.Seal(a, nil, []byte("x"))
	s2, _ := kr.Seal(a, nil, []byte("x"))
	if bytes.Equal(s1, s2) {
		t.Fatal("sealing twice gives the same bytes: nonce reused")
	}
}

func TestSealOpenRefuses(t *testing.T) {
	kr := fixture(t)
	other, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("gent/s_x/sig_1")
	wrapped, _ := kr.NewDataKey()
	otherWrapped, _ := kr.NewDataKey()
	foreignWrapped, _ := other.NewDataKey()
	sealed, err := kr.Seal(wrapped, ad, []byte("the record"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x80; return c }
	unknownKEK := bytes.Clone(wrapped)
	unknownKEK[1] ^= 0xff

	tests := []struct {
		name    string
		wrapped []byte
		ad      []byte
		sealed  []byte
		want    error
	}{
		{"wrong additional data", wrapped, []byte("gent/s_x/sig_2"), sealed, ErrSealed},
		{"missing additional data", wrapped, nil, sealed, ErrSealed},
		{"other data key", otherWrapped, ad, sealed, ErrSealed},
		{"data key of another broker", foreignWrapped, ad, sealed, ErrUnknownKEK},
		{"unknown KEK id", unknownKEK, ad, sealed, ErrUnknownKEK},
		{"wrapped version", flip(wrapped, 0), ad, sealed, ErrWrappedKey},
		{"wrapped nonce flipped", flip(wrapped, 10), ad, sealed, ErrWrappedKey},
		{"wrapped key flipped", flip(wrapped, 40), ad, sealed, ErrWrappedKey},
		{"wrapped tag flipped", flip(wrapped, len(wrapped)-1), ad, sealed, ErrWrappedKey},
		{"wrapped truncated", wrapped[:len(wrapped)-1], ad, sealed, ErrWrappedKey},
		{"wrapped extended", append(bytes.Clone(wrapped), 0), ad, sealed, ErrWrappedKey},
		{"wrapped empty", nil, ad, sealed, ErrWrappedKey},
		{"sealed version", wrapped, ad, flip(sealed, 0), ErrSealed},
		{"sealed nonce flipped", wrapped, ad, flip(sealed, 5), ErrSealed},
		{"sealed body flipped", wrapped, ad, flip(sealed, 1+24+2), ErrSealed},
		{"sealed tag flipped", wrapped, ad, flip(sealed, len(sealed)-1), ErrSealed},
		{"sealed truncated", wrapped, ad, sealed[:len(sealed)-1], ErrSealed},
		{"sealed too short", wrapped, ad, sealed[:20], ErrSealed},
		{"sealed extended", wrapped, ad, append(bytes.Clone(sealed), 0), ErrSealed},
		{"sealed empty", wrapped, ad, nil, ErrSealed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kr.Open(tc.wrapped, tc.ad, tc.sealed)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			// The opener of a person's key refuses alike, whether at
			// the key or at the record; it first opens a good record.
			open, err := kr.Opener(tc.wrapped)
			if err == nil {
				if bytes.Equal(tc.wrapped, wrapped) {
					if good, err := open(ad, sealed); err != nil || string(good) != "the record" {
						t.Fatalf("the opener does not open the untampered record: %v", err)
					}
				}
				got, err = open(tc.ad, tc.sealed)
			}
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Opener = %q, %v; want %v", got, err, tc.want)
			}
		})
	}
	if got, err := kr.Open(wrapped, ad, sealed); err != nil || string(got) != "the record" {
		t.Fatalf("the untampered record does not open: %v", err)
	}
	t.Run("seal refuses a bad wrapped key", func(t *testing.T) {
		if _, err := kr.Seal(flip(wrapped, 40), ad, []byte("x")); !errors.Is(err, ErrWrappedKey) {
			t.Fatalf("Seal = %v", err)
		}
	})
	t.Run("every wrapped byte", func(t *testing.T) {
		for i := range wrapped {
			if _, err := kr.Open(flip(wrapped, i), ad, sealed); err == nil {
				t.Fatalf("flip at %d accepted", i)
			}
		}
	})
	t.Run("every sealed byte", func(t *testing.T) {
		for i := range sealed {
			if _, err := kr.Open(wrapped, ad, flip(sealed, i)); err == nil {
				t.Fatalf("flip at %d accepted", i)
			}
		}
	})
}

func TestDataKeyCache(t *testing.T) {
	dir := fixtureDir(t)
	kr, err := LoadWith(Conf{Dir: dir, CacheSize: 3, CacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	kr.cache.now = func() time.Time { return now }
	var wrapped [][]byte
	for range 5 {
		w, _ := kr.NewDataKey()
		wrapped = append(wrapped, w)
		if _, err := kr.Seal(w, nil, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if n := kr.cache.len(); n > 3 {
			t.Fatalf("cache holds %d keys, bound 3", n)
		}
	}
	if n := kr.cache.len(); n != 3 {
		t.Fatalf("cache holds %d keys, want 3", n)
	}
	cached := func(w []byte) bool { _, ok := kr.cache.get(sha256Sum(w)); return ok }
	if cached(wrapped[0]) || cached(wrapped[1]) || !cached(wrapped[4]) {
		t.Fatal("cache did not evict the least recently used")
	}

	t.Run("ttl", func(t *testing.T) {
		now = now.Add(time.Minute - time.Second)
		if !cached(wrapped[4]) {
			t.Fatal("evicted before its TTL")
		}
		now = now.Add(time.Second)
		if cached(wrapped[4]) {
			t.Fatal("kept past its TTL")
		}
	})
	t.Run("forget", func(t *testing.T) {
		w := wrapped[2]
		if _, err := kr.Seal(w, nil, []byte("x")); err != nil || !cached(w) {
			t.Fatal("not cached")
		}
		kr.Forget(w)
		if cached(w) {
			t.Fatal("Forget kept the key")
		}
	})
	t.Run("failures not cached", func(t *testing.T) {
		bad := bytes.Clone(wrapped[0])
		bad[30] ^= 1
		kr.Open(bad, nil, nil)
		if cached(bad) {
			t.Fatal("a wrapped key that did not unwrap was cached")
		}
	})
	t.Run("hit gives the same key", func(t *testing.T) {
		w := wrapped[3]
		sealed, _ := kr.Seal(w, []byte("a"), []byte("record")) // unwraps, caches
		kr.Forget(w)
		if got, err := kr.Open(w, []byte("a"), sealed); err != nil || string(got) != "record" { // unwraps again
			t.Fatal(err)
		}
		if got, err := kr.Open(w, []byte("a"), sealed); err != nil || string(got) != "record" { // hit
			t.Fatal(err)
		}
	})
}
