package keys

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestUnwrapAdoptsKEK: a serving Keyring opens data keys wrapped under a KEK
// it knows without reading the directory, adopts at once a KEK another
// process wrote after it loaded (as `keys rotate` does), and refuses one
// that is nowhere on disk after one reload.
func TestUnwrapAdoptsKEK(t *testing.T) {
	for _, tc := range []struct {
		name string
		// wrap returns a data key wrapped by another process sharing
		// (or not) the serving Keyring's directory.
		wrap        func(t *testing.T, dir string) []byte
		wantErr     error
		wantReloads uint64
	}{
		{"known KEK", func(t *testing.T, dir string) []byte {
			return mustNewDataKey(t, mustLoadDir(t, dir))
		}, nil, 0},
		{"KEK written after start", func(t *testing.T, dir string) []byte {
			other := mustLoadDir(t, dir)
			if _, _, err := other.RotateKEK(); err != nil {
				t.Fatal(err)
			}
			return mustNewDataKey(t, other)
		}, nil, 1},
		{"data key re-wrapped under a KEK written after start", func(t *testing.T, dir string) []byte {
			other := mustLoadDir(t, dir)
			w := mustNewDataKey(t, other)
			if _, _, err := other.RotateKEK(); err != nil {
				t.Fatal(err)
			}
			re, changed, err := other.Rewrap(w)
			if err != nil || !changed {
				t.Fatalf("Rewrap = %v, %v", changed, err)
			}
			return re
		}, nil, 1},
		{"KEK of another key directory", func(t *testing.T, _ string) []byte {
			return mustNewDataKey(t, mustLoadDir(t, copyOf(t, fixtureDir(t), func(dir string) {
				os.Remove(filepath.Join(dir, FileKEK))
				if err := writeNew(filepath.Join(dir, FileKEK), secretLine("another", tagKEK, randomKey())); err != nil {
					t.Fatal(err)
				}
			})))
		}, ErrUnknownKEK, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixtureDir(t)
			serving := mustLoadDir(t, dir)
			w := tc.wrap(t, dir)
			mark := serving.ReloadMark()
			sealed, err := serving.Seal(w, []byte("ad"), []byte("record"))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Seal = %v, want %v", err, tc.wantErr)
			}
			if got := serving.ReloadMark() - mark; got != tc.wantReloads {
				t.Fatalf("%d reloads, want %d", got, tc.wantReloads)
			}
			if err != nil {
				return
			}
			if got, err := serving.Open(w, []byte("ad"), sealed); err != nil || string(got) != "record" {
				t.Fatalf("Open = %q, %v", got, err)
			}
			info, _ := Inspect(w)
			if serving.CurrentKEK() != info.KEK && tc.wantReloads > 0 {
				t.Fatalf("current KEK %s, want the adopted %s", serving.CurrentKEK(), info.KEK)
			}
		})
	}
}

// TestUnknownKEKIsNotAHotLoop: a data key under a KEK that is nowhere on
// disk stays ErrUnknownKEK however often it is opened, and the directory is
// read at most once per interval: a burst of callers shares the reloads, and
// one caller in a loop is paced by them.
func TestUnknownKEKIsNotAHotLoop(t *testing.T) {
	const every = 40 * time.Millisecond
	for _, tc := range []struct {
		name            string
		callers, rounds int
		maxReloads      uint64 // besides the rate limit
	}{
		{"a burst of callers", 100, 1, 2},
		{"one caller in a loop", 1, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serving := mustLoadDir(t, fixtureDir(t))
			serving.reload.every = every
			w := mustNewDataKey(t, serving)
			w[1] ^= 0xff // a KEK id nothing on disk has
			start, mark := time.Now(), serving.ReloadMark()
			var wg sync.WaitGroup
			errs := make(chan error, tc.callers*tc.rounds)
			for range tc.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range tc.rounds {
						_, err := serving.Open(w, nil, make([]byte, 64))
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if !errors.Is(err, ErrUnknownKEK) {
					t.Fatalf("Open = %v, want ErrUnknownKEK", err)
				}
			}
			elapsed, reloads := time.Since(start), serving.ReloadMark()-mark
			if limit := min(tc.maxReloads, 1+uint64(elapsed/every)); reloads == 0 || reloads > limit {
				t.Fatalf("%d opens in %s read the directory %d times, want 1 to %d", tc.callers*tc.rounds, elapsed, reloads, limit)
			}
		})
	}
}

// TestRewrapNeverMovesBack: a Keyring that loaded its directory before a
// rotation and then re-wraps (its epoch schedule) a data key the rotation
// already moved adopts the new KEK and leaves the key as it is, instead of
// wrapping it back under the KEK being retired.
func TestRewrapNeverMovesBack(t *testing.T) {
	dir := fixtureDir(t)
	stale, rotator := mustLoadDir(t, dir), mustLoadDir(t, dir)
	w := mustNewDataKey(t, rotator)
	_, next, err := rotator.RotateKEK()
	if err != nil {
		t.Fatal(err)
	}
	moved, _, err := rotator.Rewrap(w)
	if err != nil {
		t.Fatal(err)
	}
	got, changed, err := stale.Rewrap(moved)
	if err != nil || changed {
		t.Fatalf("Rewrap of a key under the newest KEK = changed %v, %v", changed, err)
	}
	if info, _ := Inspect(got); info.KEK != next || stale.CurrentKEK() != next {
		t.Fatalf("key under %s, current KEK %s; want both %s", info.KEK, stale.CurrentKEK(), next)
	}
}

// TestNewDataKeyCatchesUpKEK: once a rotation in another process has
// written a new KEK, a Keyring that loaded the directory before wraps its
// new data keys under the new KEK, not the one being retired.
func TestNewDataKeyCatchesUpKEK(t *testing.T) {
	dir := fixtureDir(t)
	stale, rotator := mustLoadDir(t, dir), mustLoadDir(t, dir)
	before := mustNewDataKey(t, stale)
	if info, _ := Inspect(before); info.KEK != stale.CurrentKEK() {
		t.Fatalf("wrapped under %s, current %s", info.KEK, stale.CurrentKEK())
	}
	mark := stale.ReloadMark()
	if w := mustNewDataKey(t, stale); stale.ReloadMark() != mark {
		t.Fatalf("%d reloads without a rotation", stale.ReloadMark()-mark)
	} else if info, _ := Inspect(w); info.KEK != stale.CurrentKEK() {
		t.Fatalf("wrapped under %s", info.KEK)
	}
	_, next, err := rotator.RotateKEK()
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := Inspect(mustNewDataKey(t, stale)); info.KEK != next {
		t.Fatalf("new data key under %s after the rotation to %s", info.KEK, next)
	}
}

func mustLoadDir(t *testing.T, dir string) *Keyring {
	t.Helper()
	kr, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustNewDataKey(t *testing.T, kr *Keyring) []byte {
	t.Helper()
	w, err := kr.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// copyOf returns a copy of the key directory dir, changed by change.
func copyOf(t *testing.T, dir string, change func(dir string)) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	change(out)
	return out
}
