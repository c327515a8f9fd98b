package token

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/livc/livc-broker/broker"
)

func TestCache(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	path := writeJWKS(t, pub(t, ed))
	ctx := context.Background()

	t.Run("a repeated token is answered from the cache", func(t *testing.T) {
		v, _ := newVerifier(t, path, 10)
		raw := issue(t, ed, good())
		first, err := v.Authenticate(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		// Break the key set: only the cache can still accept the token.
		v.ring.Store(&keyring{src: v.ring.Load().src, err: errors.New("broken")})
		again, err := v.Authenticate(ctx, raw)
		if err != nil {
			t.Fatalf("cached token refused: %v", err)
		}
		if again != first {
			t.Errorf("cache gave %+v, first verification %+v", again, first)
		}
		// A token never seen is verified, and so refused.
		other := good()
		other.Sub = "bob"
		_, err = v.Authenticate(ctx, issue(t, ed, other))
		wantRefused(t, err, errKeySet, "")
	})

	t.Run("an entry is not used after exp", func(t *testing.T) {
		v, clk := newVerifier(t, path, 10)
		c := good()
		raw := issue(t, ed, c)
		if _, err := v.Authenticate(ctx, raw); err != nil {
			t.Fatal(err)
		}
		clk.set(c.Expires.Add(-time.Nanosecond))
		if _, err := v.Authenticate(ctx, raw); err != nil {
			t.Fatalf("refused just before exp: %v", err)
		}
		clk.set(c.Expires)
		_, err := v.Authenticate(ctx, raw)
		wantRefused(t, err, errExpired, raw)
	})

	t.Run("the cache is keyed by a hash, not the token", func(t *testing.T) {
		v, _ := newVerifier(t, path, 10)
		raw := issue(t, ed, good())
		if _, err := v.Authenticate(ctx, raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := v.cache.entries[sha256.Sum256([]byte(raw))]; !ok {
			t.Fatal("no entry under the token's SHA-256")
		}
	})

	t.Run("disabled", func(t *testing.T) {
		v, _ := newVerifier(t, path, -1)
		if v.cache != nil {
			t.Fatal("negative CacheSize left a cache")
		}
		if _, err := v.Authenticate(ctx, issue(t, ed, good())); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("bounded", func(t *testing.T) {
		v, clk := newVerifier(t, path, 3)
		for i := range 10 {
			c := good()
			c.Sub = fmt.Sprintf("user-%d", i)
			c.Expires = t0.Add(time.Duration(i+1) * time.Minute)
			if _, err := v.Authenticate(ctx, issue(t, ed, c)); err != nil {
				t.Fatal(err)
			}
			if n := v.cache.len(); n > 3 {
				t.Fatalf("cache holds %d entries, bound 3", n)
			}
		}
		// Once the cached tokens have expired, a new one evicts them all.
		clk.set(t0.Add(time.Hour - time.Minute))
		if _, err := v.Authenticate(ctx, issue(t, ed, good())); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.len(); n != 1 {
			t.Errorf("cache holds %d entries after expiry sweep, want 1", n)
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		v, _ := newVerifier(t, path, 8)
		toks := make([]string, 16)
		for i := range toks {
			c := good()
			c.Sub = fmt.Sprintf("user-%d", i)
			toks[i] = issue(t, ed, c)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					raw := toks[(g+i)%len(toks)]
					p, err := v.Authenticate(ctx, raw)
					if err != nil || p.Livc != testLivc {
						errs <- fmt.Errorf("goroutine %d: %+v %v", g, p, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// fakeSource is a key source whose set a test can swap, as a JWKS refresh
// would.
type fakeSource struct {
	mu  sync.Mutex
	set jwk.Set
}

func (f *fakeSource) current() jwk.Set {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set
}

func (f *fakeSource) swap(s jwk.Set) {
	f.mu.Lock()
	f.set = s
	f.mu.Unlock()
}

func TestKeySetRefresh(t *testing.T) {
	old := newKey(t, "EdDSA", "old")
	next := newKey(t, "ES256", "next")
	v, _ := newVerifier(t, writeJWKS(t, pub(t, old)), -1)
	src := &fakeSource{set: v.ring.Load().src}
	v.src = src
	ctx := context.Background()

	setOf := func(keys ...jwk.Key) jwk.Set {
		s := jwk.NewSet()
		for _, k := range keys {
			if err := s.AddKey(k); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	octSet, err := jwk.Parse(mustRead(t, "testdata/jwks-oct.json"))
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		set     jwk.Set
		signer  jwk.Key
		want    reason // "" to accept
		newSets bool
	}{
		{"before rotation", nil, old, "", false},
		{"rotated: the new key verifies", setOf(pub(t, next)), next, "", true},
		{"rotated: the removed key does not", nil, old, errUnknownKid, false},
		{"a refresh with an oct key fails closed", octSet, next, errKeySet, true},
		{"a good refresh recovers", setOf(pub(t, old), pub(t, next)), old, "", true},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.newSets {
				src.swap(s.set)
			}
			c := good()
			c.Sub = fmt.Sprintf("user-%d", i)
			raw := issue(t, s.signer, c)
			p, err := v.Authenticate(ctx, raw)
			if s.want == "" {
				if err != nil || p.Sub != c.Sub {
					t.Fatalf("principal %+v, error %v", p, err)
				}
				return
			}
			wantRefused(t, err, s.want, raw)
			if p != (broker.Principal{}) {
				t.Errorf("refusal returned %+v", p)
			}
		})
	}
}
