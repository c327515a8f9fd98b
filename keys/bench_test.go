package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// BenchmarkSeal and BenchmarkOpen seal and open a 2 KiB record. "warm" finds
// the data key in the cache; "cold" unwraps it every time.
func BenchmarkSeal(b *testing.B) {
	kr := fixture(b)
	plain := make([]byte, 2048)
	rand.Read(plain)
	ad := []byte("gent/s_x/sig_1")
	for _, warm := range []bool{true, false} {
		w, _ := kr.NewDataKey()
		b.Run(map[bool]string{true: "warm", false: "cold"}[warm], func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if !warm {
					kr.Forget(w)
				}
				if _, err := kr.Seal(w, ad, plain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := fixture(b)
	plain := make([]byte, 2048)
	rand.Read(plain)
	ad := []byte("gent/s_x/sig_1")
	for _, warm := range []bool{true, false} {
		w, _ := kr.NewDataKey()
		sealed, err := kr.Seal(w, ad, plain)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(map[bool]string{true: "warm", false: "cold"}[warm], func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if !warm {
					kr.Forget(w)
				}
				if _, err := kr.Open(w, ad, sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAliases(b *testing.B) {
	kr := fixture(b)
	for b.Loop() {
		_ = kr.Aliases("gent", jan)
	}
}

// BenchmarkOpenCard opens the 50 records of one person's card (about 600
// bytes each, one data key): "warm" finds the data key in the cache, "cold"
// unwraps it (derives the KEK×epoch wrapping key and opens the wrapped key)
// once per card, as the first read after the cache TTL does.
func BenchmarkOpenCard(b *testing.B) {
	kr := fixture(b)
	w, _ := kr.NewDataKey()
	const n = 50
	sealed := make([][]byte, n)
	ads := make([][]byte, n)
	for i := range sealed {
		plain := make([]byte, 600)
		rand.Read(plain)
		ads[i] = []byte("livc-record-v1\x00gent\x00s_x\x00sig_" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		var err error
		if sealed[i], err = kr.Seal(w, ads[i], plain); err != nil {
			b.Fatal(err)
		}
	}
	for _, warm := range []bool{true, false} {
		b.Run(map[bool]string{true: "warm", false: "cold"}[warm], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !warm {
					kr.Forget(w)
				}
				for i := range sealed {
					if _, err := kr.Open(w, ads[i], sealed[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkReload reads the whole key directory again, as a Keyring does on
// demand when it meets a KEK or an identity it has not loaded (reload.go):
// what one second's worth of the rate limit costs.
func BenchmarkReload(b *testing.B) {
	kr := fixture(b)
	for b.Loop() {
		if err := kr.Reload(); err != nil {
			b.Fatal(err)
		}
	}
}
