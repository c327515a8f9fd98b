package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// clock is an injectable clock for the Keyring.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func loadAt(t *testing.T, dir string, c *clock) *Keyring {
	t.Helper()
	kr, err := LoadWith(Conf{Dir: dir, Now: c.now, EpochPeriod: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestEpochLifecycle follows one data key through the schedule: wrapped
// under epoch 1, the epoch becomes due after a day, a new epoch starts,
// the key is re-wrapped under it, epoch 1 is destroyed, and the old
// wrapped copy no longer opens with anything on disk.
func TestEpochLifecycle(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	kr := loadAt(t, dir, c)
	old, _ := kr.NewDataKey()
	sealed, err := kr.Seal(old, []byte("ad"), []byte("record"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"not due before the period", func(t *testing.T) {
			c.t = c.t.Add(23 * time.Hour)
			if kr.EpochDue() {
				t.Fatal("due after 23h")
			}
		}},
		{"due after the period", func(t *testing.T) {
			c.t = c.t.Add(time.Hour)
			if !kr.EpochDue() {
				t.Fatal("not due after 24h")
			}
		}},
		{"advance", func(t *testing.T) {
			n, err := kr.AdvanceEpoch()
			if err != nil || n != 2 || kr.EpochDue() {
				t.Fatalf("AdvanceEpoch = %d, %v; due %v", n, err, kr.EpochDue())
			}
			fresh, _ := kr.NewDataKey()
			if info, _ := Inspect(fresh); info.Epoch != 2 {
				t.Fatalf("new data key under epoch %d", info.Epoch)
			}
			if _, err := kr.Open(old, []byte("ad"), sealed); err != nil {
				t.Fatalf("epoch 1 not readable before it is destroyed: %v", err)
			}
		}},
		{"rewrap", func(t *testing.T) {
			re, changed, err := kr.Rewrap(old)
			if err != nil || !changed {
				t.Fatalf("Rewrap = %v, %v", changed, err)
			}
			if info, _ := Inspect(re); info.Epoch != 2 {
				t.Fatalf("re-wrapped under epoch %d", info.Epoch)
			}
			if _, again, _ := kr.Rewrap(re); again {
				t.Fatal("re-wrapping a current key changed it")
			}
			if got, err := kr.Open(re, []byte("ad"), sealed); err != nil || string(got) != "record" {
				t.Fatalf("re-wrapped key does not open the record: %v", err)
			}
		}},
		{"destroy", func(t *testing.T) {
			epochFile, _ := os.ReadFile(filepath.Join(dir, FileEpoch))
			if err := kr.DestroyEpochsBefore(2); err != nil {
				t.Fatal(err)
			}
			if _, err := kr.Open(old, []byte("ad"), sealed); !errors.Is(err, ErrEpochDestroyed) {
				t.Fatalf("old copy after destruction: %v", err)
			}
			reloaded := loadAt(t, dir, c)
			if _, err := reloaded.Open(old, []byte("ad"), sealed); !errors.Is(err, ErrEpochDestroyed) {
				t.Fatalf("old copy with the keys on disk: %v", err)
			}
			if now, _ := os.ReadFile(filepath.Join(dir, FileEpoch)); bytes.Equal(now, epochFile) {
				t.Fatal("epoch file unchanged")
			}
			if oldest, current, _ := reloaded.Epochs(); oldest != 2 || current != 2 {
				t.Fatalf("epochs on disk %d..%d", oldest, current)
			}
		}},
		{"no destroying the future", func(t *testing.T) {
			if err := kr.DestroyEpochsBefore(3); err == nil {
				t.Fatal("destroyed the current epoch")
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// TestEpochKeyIsNotDerivableBackwards checks the ratchet: every key the
// directory holds after destruction fails to open the old wrapped key, by
// brute force over what is on disk (each KEK with each epoch key derivable
// from the file).
func TestEpochKeyIsNotDerivableBackwards(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	kr := loadAt(t, dir, c)
	old, _ := kr.NewDataKey()
	for range 3 {
		if _, err := kr.AdvanceEpoch(); err != nil {
			t.Fatal(err)
		}
	}
	if err := kr.DestroyEpochsBefore(4); err != nil {
		t.Fatal(err)
	}
	disk := loadAt(t, dir, c)
	for kek := range disk.keks {
		for e := uint32(0); e < 100; e++ {
			if w, err := disk.wrapAEAD(kek, e); err == nil {
				if _, err := w.Open(nil, old[9:33], old[33:], wrapAD2(old[:9])); err == nil {
					t.Fatalf("old data key opened with epoch %d", e)
				}
			}
		}
		// and the KEK alone, as format 1 would use it
		a, _ := chacha20poly1305.NewX(disk.keks[kek])
		if _, err := a.Open(nil, old[9:33], old[33:], wrapAD2(old[:9])); err == nil {
			t.Fatal("old data key opened with the KEK alone")
		}
	}
}

func TestRotateKEK(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	kr := loadAt(t, dir, c)
	before, _ := kr.NewDataKey()
	sealed, _ := kr.Seal(before, nil, []byte("r"))
	prev, next, err := kr.RotateKEK()
	if err != nil || prev == next || kr.CurrentKEK() != next {
		t.Fatalf("RotateKEK = %s, %s, %v", prev, next, err)
	}
	re, changed, err := kr.Rewrap(before)
	if err != nil || !changed {
		t.Fatal(err)
	}
	if info, _ := Inspect(re); info.KEK != next {
		t.Fatalf("re-wrapped under %s", info.KEK)
	}
	if err := os.Remove(filepath.Join(dir, FileKEK)); err != nil {
		t.Fatal(err)
	}
	restarted := loadAt(t, dir, c)
	if restarted.CurrentKEK() != next || restarted.HasKEK(prev) {
		t.Fatal("old KEK still loaded or new one not current")
	}
	if got, err := restarted.Open(re, nil, sealed); err != nil || string(got) != "r" {
		t.Fatalf("record unreadable after rotation and deletion: %v", err)
	}
	if _, err := restarted.Open(before, nil, sealed); !errors.Is(err, ErrUnknownKEK) {
		t.Fatalf("key under the deleted KEK: %v", err)
	}
	t.Run("reload adopts a rotation of another process", func(t *testing.T) {
		_, third, err := restarted.RotateKEK()
		if err != nil {
			t.Fatal(err)
		}
		if err := kr.Reload(); err != nil || kr.CurrentKEK() != third {
			t.Fatalf("Reload = %v, current %s", err, kr.CurrentKEK())
		}
	})
}

func TestRetiredIdentities(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	kr := loadAt(t, dir, c)
	old := kr.Recipients()
	if err := kr.RotateIdentities(time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := len(kr.Identities()); n != 4 || kr.Recipients()[0] == old[0] || kr.Recipients()[1] == old[1] {
		t.Fatalf("after rotation: %d identities, recipients %v", n, kr.Recipients())
	}
	if n := len(loadAt(t, dir, c).Identities()); n != 4 {
		t.Fatalf("reloaded: %d identities", n)
	}
	c.t = c.t.Add(time.Hour)
	if n := len(kr.Identities()); n != 2 {
		t.Fatalf("after the grace period: %d identities", n)
	}
	if n, err := kr.PurgeRetired(); n != 2 || err != nil {
		t.Fatalf("PurgeRetired = %d, %v", n, err)
	}
	if n := len(loadAt(t, dir, c).retired); n != 0 {
		t.Fatalf("%d retired files left", n)
	}
}

// TestRotateIdentitiesTwiceInOneSecond: two rotations whose retired
// identities would expire in the same second both succeed, each keeping
// its retired identities in files of their own, which a reload reads
// back: the second is not refused because the first's files exist.
func TestRotateIdentitiesTwiceInOneSecond(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	kr := loadAt(t, dir, c)
	for i := range 2 {
		if err := kr.RotateIdentities(time.Hour); err != nil {
			t.Fatalf("rotation %d: %v", i+1, err)
		}
	}
	if n := len(kr.Identities()); n != 6 {
		t.Fatalf("after two rotations: %d identities, want 6", n)
	}
	if n := len(loadAt(t, dir, c).Identities()); n != 6 {
		t.Fatalf("reloaded: %d identities, want 6", n)
	}
}

// TestNewDataKeyCatchesUpEpoch has two processes share a key directory:
// one starts a new epoch and destroys the old one while the other still
// holds the old epoch in memory. The lagging one's next data key must be
// wrapped under the new epoch, so that both can open it, and not under the
// destroyed one, which nothing could open again.
func TestNewDataKeyCatchesUpEpoch(t *testing.T) {
	dir := fixtureDir(t)
	c := &clock{time.Unix(1_800_000_000, 0)}
	ahead, lagging := loadAt(t, dir, c), loadAt(t, dir, c)
	e, err := ahead.AdvanceEpoch()
	if err != nil {
		t.Fatal(err)
	}
	if err := ahead.DestroyEpochsBefore(e); err != nil {
		t.Fatal(err)
	}
	w, err := lagging.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(w)
	if err != nil || info.Epoch != e {
		t.Fatalf("the lagging process wrapped a new data key under epoch %d (%v), want the current %d", info.Epoch, err, e)
	}
	sealed, err := lagging.Seal(w, []byte("ad"), []byte("record"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ahead.Open(w, []byte("ad"), sealed); err != nil || string(got) != "record" {
		t.Fatalf("the other process opens it: %q, %v", got, err)
	}
	if oldest, current, _ := lagging.Epochs(); oldest != e || current != e {
		t.Fatalf("the lagging process's epochs: oldest %d current %d, want %d and %d", oldest, current, e, e)
	}
}
