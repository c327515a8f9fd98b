package keys

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// memStore is an in-memory DataKeyStore for the unit tests of this package;
// the Redis store runs under the e2e tests. onScan, when set, runs before
// each scan step, as another writer would.
type memStore struct {
	keys   map[string][]byte
	onScan func()
}

func (m *memStore) ScanDataKeys(_ context.Context, cursor uint64, count int64, fn func(string, []byte) error) (uint64, error) {
	if m.onScan != nil {
		m.onScan()
	}
	names := slices.Sorted(maps.Keys(m.keys))
	end := min(int(cursor)+int(count), len(names))
	for _, k := range names[cursor:end] {
		if err := fn(k, m.keys[k]); err != nil {
			return 0, err
		}
	}
	if end == len(names) {
		return 0, nil
	}
	return uint64(end), nil
}

func (m *memStore) ReplaceDataKey(_ context.Context, key string, prev, next []byte) (bool, error) {
	if string(m.keys[key]) != string(prev) {
		return false, nil
	}
	m.keys[key] = next
	return true, nil
}

func (m *memStore) DataKeyAt(_ context.Context, key string) ([]byte, error) {
	w, ok := m.keys[key]
	if !ok {
		return nil, broker.ErrNotFound
	}
	return w, nil
}

// TestMaintainEpochs steps the epoch schedule with an injected clock: nothing
// before the epoch is due; a new epoch when it is; nothing destroyed before
// the settle time; then every data key re-wrapped and the old epoch
// destroyed. A data key written under the old epoch during the walk (a
// process that has not reloaded) stops the step before anything is
// destroyed.
func TestMaintainEpochs(t *testing.T) {
	const settle = time.Minute
	ctx := context.Background()
	setup := func(t *testing.T, n int) (*Keyring, *clock, *memStore) {
		c := &clock{time.Unix(1_800_000_000, 0)}
		kr := loadAt(t, fixtureDir(t), c)
		st := &memStore{keys: map[string][]byte{}}
		for i := range n {
			w, err := kr.NewDataKey()
			if err != nil {
				t.Fatal(err)
			}
			st.keys[string(rune('a'+i))] = w
		}
		return kr, c, st
	}
	t.Run("the schedule", func(t *testing.T) {
		kr, c, st := setup(t, 600) // more than one scan batch
		for _, tc := range []struct {
			name    string
			advance time.Duration
			want    EpochStep
		}{
			{"not due", time.Hour, EpochStep{}},
			{"due: a new epoch", 24 * time.Hour, EpochStep{Started: 2}},
			{"before the settle time", settle / 2, EpochStep{}},
			{"past the settle time: re-wrap and destroy", settle, EpochStep{DestroyedBefore: 2, Rewrapped: 600, Live: 600}},
			{"nothing left to do", time.Hour, EpochStep{}},
		} {
			c.t = c.t.Add(tc.advance)
			got, err := kr.MaintainEpochs(ctx, st, settle)
			if err != nil || got != tc.want {
				t.Fatalf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
			}
		}
		for k, w := range st.keys {
			if info, err := Inspect(w); err != nil || info.Epoch != 2 {
				t.Fatalf("data key %s: %+v, %v; want epoch 2", k, info, err)
			}
		}
	})
	t.Run("a key written under the old epoch during the walk", func(t *testing.T) {
		kr, c, st := setup(t, 3)
		stale := loadAt(t, kr.conf.Dir, c) // a process still at epoch 1
		c.t = c.t.Add(25 * time.Hour)
		if step, err := kr.MaintainEpochs(ctx, st, settle); err != nil || step.Started != 2 {
			t.Fatalf("start: %+v, %v", step, err)
		}
		c.t = c.t.Add(settle)
		scans := 0
		st.onScan = func() {
			if scans++; scans == 2 { // after the first walk, before the check
				// A process that read epoch.key just before epoch 2 began
				// (NewDataKey reads it again each time, so only a race
				// leaves a data key under the old epoch now).
				w, _ := stale.wrap(make([]byte, secretSize), stale.kekID, 1)
				st.keys["late"] = w
			}
		}
		_, err := kr.MaintainEpochs(ctx, st, settle)
		if err == nil || !strings.Contains(err.Error(), "old epoch") {
			t.Fatalf("MaintainEpochs: %v, want a refusal to destroy", err)
		}
		if oldest, _, _ := mustReload(t, kr).Epochs(); oldest != 1 {
			t.Fatalf("epoch 1 destroyed with a data key still under it (oldest %d)", oldest)
		}
		if _, err := kr.Open(st.keys["late"], []byte("ad"), nil); errors.Is(err, ErrEpochDestroyed) {
			t.Fatal("the late data key no longer opens")
		}
	})
}

func mustReload(t *testing.T, kr *Keyring) *Keyring {
	t.Helper()
	k, err := Load(kr.conf.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
