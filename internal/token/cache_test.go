package token

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
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
		// Require another issuer: only the cache can still accept the token.
		v.conf.Issuer = "someone-else"
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
		wantRefused(t, err, errIssuer, "")
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

	t.Run("an entry ends at exp, and never later than the maximum lifetime after verification", func(t *testing.T) {
		v, _ := newVerifier(t, path, 10)
		for _, tc := range []struct {
			name string
			c    func(*Claims)
			end  time.Time
		}{
			{"exp first", func(c *Claims) {}, good().Expires},
			{"iat ahead within the skew", func(c *Claims) { c.IssuedAt = t0.Add(20 * time.Second); c.Expires = c.IssuedAt.Add(DefaultMaxLifetime) }, t0.Add(DefaultMaxLifetime)},
		} {
			c := good()
			tc.c(&c)
			raw := issue(t, ed, c)
			if _, err := v.Authenticate(ctx, raw); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if e, _ := v.cache.c.Get(sha256.Sum256([]byte(raw))); !e.end.Equal(tc.end) {
				t.Errorf("%s: entry ends %v, want %v", tc.name, e.end, tc.end)
			}
		}
	})

	t.Run("the cache is keyed by a hash, not the token", func(t *testing.T) {
		v, _ := newVerifier(t, path, 10)
		raw := issue(t, ed, good())
		if _, err := v.Authenticate(ctx, raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := v.cache.c.Get(sha256.Sum256([]byte(raw))); !ok {
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

// TestKeySetRefresh rewrites the JWKS file between steps and refreshes, as
// SIGHUP or the timer would. A set that would be refused at load keeps the
// previous keys (it used to make every token fail; a refresh now fails like
// a policy reload, keeping what was in force, and says why).
func TestKeySetRefresh(t *testing.T) {
	old := newKey(t, "EdDSA", "old")
	next := newKey(t, "ES256", "next")
	path := writeJWKS(t, pub(t, old))
	v, _ := newVerifier(t, path, 64)
	ctx := context.Background()
	rewrite := func(buf []byte) {
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setOf := func(keys ...jwk.Key) []byte {
		return mustRead(t, writeJWKS(t, keys...))
	}
	// Tokens of each key, verified (and cached) before any refresh.
	cachedOld := issue(t, old, good())
	if _, err := v.Authenticate(ctx, cachedOld); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		jwks    []byte // nil: no refresh
		refresh string // "" when the refresh must succeed, else what its error says
		signer  jwk.Key
		raw     string // a token to try instead of a fresh one of signer
		want    reason // "" to accept
	}{
		{name: "before rotation", signer: old},
		{name: "rotated: the new key verifies", jwks: setOf(pub(t, next)), signer: next},
		{name: "rotated: the removed key does not", signer: old, want: errUnknownKid},
		{name: "rotated: a token cached under the removed key is refused", raw: cachedOld, want: errUnknownKid},
		{name: "a set with an oct key is refused and the previous keys stay", jwks: mustRead(t, "testdata/jwks-oct.json"), refresh: "symmetric", signer: next},
		{name: "an unparsable file keeps the previous keys", jwks: []byte("{"), refresh: "JWKS", signer: next},
		{name: "a good refresh brings the old key back", jwks: setOf(pub(t, old), pub(t, next)), signer: old},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.jwks != nil {
				rewrite(s.jwks)
				_, err := v.Refresh(ctx)
				switch {
				case s.refresh == "" && err != nil:
					t.Fatalf("refresh failed: %v", err)
				case s.refresh != "" && (err == nil || !strings.Contains(err.Error(), s.refresh)):
					t.Fatalf("refresh error %v, want one saying %q", err, s.refresh)
				}
			}
			raw := s.raw
			if raw == "" {
				c := good()
				c.Sub = fmt.Sprintf("user-%d", i)
				raw = issue(t, s.signer, c)
			}
			p, err := v.Authenticate(ctx, raw)
			if s.want == "" {
				if err != nil || p.Sub == "" {
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

func TestRefreshDropsOnlyRemovedKeys(t *testing.T) {
	a, b := newKey(t, "EdDSA", "a"), newKey(t, "EdDSA", "b")
	path := writeJWKS(t, pub(t, a), pub(t, b))
	v, _ := newVerifier(t, path, 64)
	ctx := context.Background()
	for _, k := range []jwk.Key{a, b} {
		if _, err := v.Authenticate(ctx, issue(t, k, good())); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("an unchanged set drops nothing", func(t *testing.T) {
		rep, err := v.Refresh(ctx)
		if err != nil || rep != (RefreshReport{Keys: 2}) || v.cache.len() != 2 {
			t.Fatalf("report %+v, error %v, %d cached", rep, err, v.cache.len())
		}
	})
	t.Run("removing b drops b's verification only", func(t *testing.T) {
		if err := os.WriteFile(path, mustRead(t, writeJWKS(t, pub(t, a))), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := v.Refresh(ctx)
		if err != nil || rep != (RefreshReport{Keys: 1, Removed: 1, Dropped: 1}) || v.cache.len() != 1 {
			t.Fatalf("report %+v, error %v, %d cached", rep, err, v.cache.len())
		}
	})
	t.Run("a key changed under its kid counts as removed and added", func(t *testing.T) {
		a2 := newKey(t, "EdDSA", "a")
		if err := os.WriteFile(path, mustRead(t, writeJWKS(t, pub(t, a2))), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := v.Refresh(ctx)
		if err != nil || rep != (RefreshReport{Keys: 1, Added: 1, Removed: 1, Dropped: 1}) || v.cache.len() != 0 {
			t.Fatalf("report %+v, error %v, %d cached", rep, err, v.cache.len())
		}
		_, err = v.Authenticate(ctx, issue(t, a, good()))
		wantRefused(t, err, errBadSignature, "")
	})
}
