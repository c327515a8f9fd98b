package token

import (
	"context"
	"testing"
)

// BenchmarkAuthenticate measures one verification: cold (cache disabled, so
// every call parses and checks a signature) per algorithm, and warm (a
// repeated token: a hash and a map lookup).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, alg string, cacheSize int) {
		priv := newKey(b, alg, "bench")
		v, _ := newVerifier(b, writeJWKS(b, pub(b, priv)), cacheSize)
		raw := issue(b, priv, good())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Authenticate(ctx, raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		b.Run("cold/"+alg, func(b *testing.B) { run(b, alg, -1) })
	}
	b.Run("warm/EdDSA", func(b *testing.B) { run(b, "EdDSA", DefaultCacheSize) })
	b.Run("warm/EdDSA/parallel", func(b *testing.B) {
		priv := newKey(b, "EdDSA", "bench")
		v, _ := newVerifier(b, writeJWKS(b, pub(b, priv)), DefaultCacheSize)
		raw := issue(b, priv, good())
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Authenticate(ctx, raw); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
