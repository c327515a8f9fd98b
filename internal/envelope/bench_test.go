package envelope

import "testing"

// BenchmarkOpen opens a 2 KiB signal, the typical size of a submission, for
// each recipient kind and encoding.
func BenchmarkOpen(b *testing.B) {
	fx := loadFixtures(b)
	o := fx.opener()
	plain := randomBytes(b, 2048)
	for _, kind := range kinds {
		for _, enc := range []string{"binary", "armored"} {
			env := mustSeal(b, fx.recipient(kind), plain, enc == "armored")
			b.Run(kind+"/"+enc, func(b *testing.B) {
				b.SetBytes(int64(len(plain)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := o.Open(env, 4096); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSeal seals a 2 KiB answer to one recipient of each kind.
func BenchmarkSeal(b *testing.B) {
	fx := loadFixtures(b)
	plain := randomBytes(b, 2048)
	for _, kind := range kinds {
		rs := []string{fx.recipient(kind)}
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Seal(rs, plain, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
