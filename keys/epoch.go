package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Epochs make erasure reach old copies of the store.
//
// Every data key is wrapped under a key derived from a KEK and an epoch key
// (sealer.go). Epochs are numbered; epoch n+1's key is HMAC-SHA256(E_n,
// domainRatchet), so the broker can derive every later epoch key from an
// earlier one but never an earlier one from a later one. The file epoch.key
// holds only the oldest epoch still in use and its key, the current epoch
// and when it started:
//
//	LIVC-EPOCH-1 <id> <key> <oldest> <current> <started-unix>
//
// where <id> checks the key and the three numbers. A new epoch starts
// (AdvanceEpoch) once the current one is Conf.EpochPeriod old; new data keys
// are wrapped under it; the broker then re-wraps every live data key under
// it (Rewrap) and, once none is wrapped under an older epoch, destroys the
// older epoch keys (DestroyEpochsBefore) by rewriting epoch.key with the
// current epoch's key only. From then on a wrapped data key of an older
// epoch, in an AOF file, an RDB snapshot or a backup, cannot be unwrapped
// with anything the broker holds.
const (
	tagEpoch      = "LIVC-EPOCH-1"
	domainRatchet = "livc-broker/epoch-ratchet/v1"
	// FileEpoch is the epoch ratchet file of the key directory.
	FileEpoch = "epoch.key"
	// maxEpochsAhead bounds how far past its current epoch a Keyring derives
	// keys, for data keys another process wrapped after an epoch it has not
	// reloaded yet.
	maxEpochsAhead = 64
)

// ErrEpochDestroyed is the error of unwrapping a data key whose epoch key has
// been destroyed: the key, and every record under it, is gone for good.
var ErrEpochDestroyed = errors.New("keys: wrapped data key is of a destroyed key epoch")

type epochState struct {
	oldest, current uint32
	started         time.Time
	keys            map[uint32][]byte // E_oldest … E_current
}

func ratchet(k []byte) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(domainRatchet))
	return m.Sum(nil)
}

func newEpochState(oldest, current uint32, started time.Time, key []byte) epochState {
	st := epochState{oldest: oldest, current: current, started: started, keys: map[uint32][]byte{oldest: key}}
	for n := oldest; n < current; n++ {
		st.keys[n+1] = ratchet(st.keys[n])
	}
	return st
}

// epochKey returns E_n, or false if it was destroyed or is too far ahead.
// The caller holds kr.mu.
func (kr *Keyring) epochKey(n uint32) ([]byte, bool) {
	st := &kr.epoch
	switch {
	case n < st.oldest:
		return nil, false
	case n <= st.current:
		return st.keys[n], true
	case n-st.current > maxEpochsAhead:
		return nil, false
	}
	k := st.keys[st.current]
	for i := st.current; i < n; i++ {
		k = ratchet(k)
	}
	return k, true
}

func epochLine(st epochState) []byte {
	key := st.keys[st.oldest]
	nums := fmt.Sprintf("%d %d %d", st.oldest, st.current, st.started.Unix())
	id := keyID(tagEpoch, append(append([]byte{}, key...), nums...))
	return fmt.Appendf(nil, "# livc-broker key epochs: the oldest live epoch key only; older ones are destroyed\n%s %s %s %s\n",
		tagEpoch, hex.EncodeToString(id[:]), b64.EncodeToString(key), nums)
}

func parseEpochLine(line string) (epochState, error) {
	f := strings.Fields(line)
	if len(f) != 6 || f[0] != tagEpoch {
		return epochState{}, fmt.Errorf("want %q, an id, a key and three numbers", tagEpoch)
	}
	key, err := b64.Strict().DecodeString(f[2])
	if err != nil || len(key) != secretSize {
		return epochState{}, errors.New("malformed key")
	}
	oldest, err1 := strconv.ParseUint(f[3], 10, 32)
	current, err2 := strconv.ParseUint(f[4], 10, 32)
	started, err3 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || current < oldest || current-oldest > 1<<16 {
		return epochState{}, errors.New("malformed epoch numbers")
	}
	nums := fmt.Sprintf("%d %d %d", oldest, current, started)
	id := keyID(tagEpoch, append(append([]byte{}, key...), nums...))
	if hex.EncodeToString(id[:]) != f[1] {
		return epochState{}, errors.New("key does not match its id (damaged?)")
	}
	return newEpochState(uint32(oldest), uint32(current), time.Unix(started, 0), key), nil
}

// loadEpoch reads epoch.key, creating it (epoch 1, starting now) when the
// directory has none: key directories made before epochs existed get one on
// their first load, and nothing is yet wrapped under it.
func (kr *Keyring) loadEpoch() error {
	path := filepath.Join(kr.conf.Dir, FileEpoch)
	line, err := readKeyFile(path)
	if err != nil {
		if _, serr := os.Lstat(path); !errors.Is(serr, fs.ErrNotExist) {
			return err
		}
		st := newEpochState(1, 1, kr.conf.Now(), randomKey())
		if err := writeNew(path, epochLine(st)); err != nil && !errors.Is(err, ErrExists) {
			return err
		}
		if line, err = readKeyFile(path); err != nil { // another process may have won
			return err
		}
	}
	st, err := parseEpochLine(line)
	if err != nil {
		return &fileError{path: path, err: fmt.Errorf("corrupt key file: %w", err)}
	}
	kr.epoch = st
	return nil
}

// catchUpEpoch adopts epoch.key's state when another process has moved it
// past this one's: a newer current epoch, or older epochs destroyed (their
// keys, and the data keys unwrapped under them, are forgotten here too).
func (kr *Keyring) catchUpEpoch() error {
	path := filepath.Join(kr.conf.Dir, FileEpoch)
	line, err := readKeyFile(path)
	if err != nil {
		return err
	}
	st, err := parseEpochLine(line)
	if err != nil {
		return &fileError{path: path, err: fmt.Errorf("corrupt key file: %w", err)}
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if st.current <= kr.epoch.current && st.oldest <= kr.epoch.oldest {
		return nil
	}
	for n, k := range kr.epoch.keys {
		if n < st.oldest {
			clear(k)
		}
	}
	kr.epoch = st
	kr.cache.forgetEpochsBefore(st.oldest)
	return nil
}

// Epochs returns the oldest epoch whose key is kept, the current epoch (new
// data keys are wrapped under it) and when it started.
func (kr *Keyring) Epochs() (oldest, current uint32, started time.Time) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.epoch.oldest, kr.epoch.current, kr.epoch.started
}

// EpochDue reports whether the current epoch is Conf.EpochPeriod old or
// older, by the Keyring's clock.
func (kr *Keyring) EpochDue() bool {
	_, _, started := kr.Epochs()
	return !kr.conf.Now().Before(started.Add(kr.conf.EpochPeriod))
}

// AdvanceEpoch starts a new epoch now: it is written to epoch.key before it
// is used, and new data keys are wrapped under it from then on. It returns
// the new epoch's number.
func (kr *Keyring) AdvanceEpoch() (uint32, error) {
	kr.reload.mu.Lock() // no reload in between adopts an older directory
	defer kr.reload.mu.Unlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	st := newEpochState(kr.epoch.oldest, kr.epoch.current+1, kr.conf.Now(), kr.epoch.keys[kr.epoch.oldest])
	if err := replaceFile(filepath.Join(kr.conf.Dir, FileEpoch), epochLine(st)); err != nil {
		return 0, err
	}
	kr.epoch = st
	return st.current, nil
}

// DestroyEpochsBefore destroys the keys of every epoch before e (at most the
// current one): epoch.key is rewritten to hold E_e only, and memory forgets
// the older keys and the data keys unwrapped under them. The caller must
// first have re-wrapped every live data key under e or later: what is still
// wrapped under an older epoch becomes unreadable for ever. Removing a file
// does not erase its blocks from every storage medium; see the README.
func (kr *Keyring) DestroyEpochsBefore(e uint32) error {
	kr.reload.mu.Lock() // no reload in between adopts an older directory
	defer kr.reload.mu.Unlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if e > kr.epoch.current {
		return fmt.Errorf("keys: cannot destroy epochs up to %d, past the current epoch %d", e, kr.epoch.current)
	}
	if e <= kr.epoch.oldest {
		return nil
	}
	st := newEpochState(e, kr.epoch.current, kr.epoch.started, kr.epoch.keys[e])
	if err := replaceFile(filepath.Join(kr.conf.Dir, FileEpoch), epochLine(st)); err != nil {
		return err
	}
	for n := range kr.epoch.keys {
		if n < e {
			clear(kr.epoch.keys[n])
		}
	}
	kr.epoch = st
	kr.cache.forgetEpochsBefore(e)
	return nil
}

// replaceFile replaces path with content atomically: a new file (mode 0600)
// written and flushed beside it, renamed over it, the directory flushed.
func replaceFile(path string, content []byte) error {
	tmp := path + ".new"
	os.Remove(tmp) // a leftover of a crash
	if err := writeNew(tmp, content); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &fileError{path: path, err: err}
	}
	return syncDir(filepath.Dir(path))
}
