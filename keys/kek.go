package keys

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Key-encryption keys. The first is kek.key (generation 1); each rotation
// adds kek-<N>.key with the next generation N. The newest generation wraps
// new data keys; every KEK still on disk unwraps. Once a rotation has
// re-wrapped every data key under the newest KEK, older KEK files may be
// deleted: Load then needs only the ones left.

// kekGeneration returns the generation of a KEK file name, or 0 for a name
// that is not one.
func kekGeneration(name string) int {
	if name == FileKEK {
		return 1
	}
	n, ok := strings.CutPrefix(name, "kek-")
	if !ok {
		return 0
	}
	n, ok = strings.CutSuffix(n, ".key")
	if !ok {
		return 0
	}
	g, err := strconv.Atoi(n)
	if err != nil || g < 2 || strconv.Itoa(g) != n {
		return 0
	}
	return g
}

func kekFileName(gen int) string {
	if gen == 1 {
		return FileKEK
	}
	return fmt.Sprintf("kek-%d.key", gen)
}

// loadKEKs reads every KEK file of the directory. It refuses a directory
// without one, and a corrupt one, naming it.
func (kr *Keyring) loadKEKs() error {
	ents, err := os.ReadDir(kr.conf.Dir)
	if err != nil {
		return &fileError{path: kr.conf.Dir, err: err}
	}
	keks := map[[4]byte][]byte{}
	gen := 0
	var current [4]byte
	for _, e := range ents {
		g := kekGeneration(e.Name())
		if g == 0 {
			continue
		}
		path := filepath.Join(kr.conf.Dir, e.Name())
		line, err := readKeyFile(path)
		if err != nil {
			return err
		}
		id, key, err := parseSecretLine(tagKEK, line)
		if err != nil {
			return &fileError{path: path, err: fmt.Errorf("corrupt key file: %w", err)}
		}
		keks[id] = key
		if g > gen {
			gen, current = g, id
		}
	}
	if gen == 0 {
		return fileErr(filepath.Join(kr.conf.Dir, FileKEK), "missing key file (no key-encryption key in the directory)")
	}
	kr.keks, kr.kekID, kr.kekGen = keks, current, gen
	return nil
}

// catchUpKEK adopts the key directory again when it holds a KEK of a newer
// generation than the current one: a rotation in another process. One stat
// of the next generation's file name per call; nothing more unless it is
// there.
func (kr *Keyring) catchUpKEK() error {
	mark := kr.ReloadMark()
	kr.mu.RLock()
	next := filepath.Join(kr.conf.Dir, kekFileName(kr.kekGen+1))
	kr.mu.RUnlock()
	if _, err := os.Lstat(next); err != nil {
		return nil // none (or unreadable): the current KEK is still a valid one
	}
	return kr.ReloadAfter(mark)
}

// CurrentKEK returns the id (8 hex digits) of the KEK that wraps new data
// keys.
func (kr *Keyring) CurrentKEK() string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return hex.EncodeToString(kr.kekID[:])
}

// HasKEK reports whether the KEK of that id (8 hex digits) is loaded.
func (kr *Keyring) HasKEK(id string) bool {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 4 {
		return false
	}
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	_, ok := kr.keks[[4]byte(b)]
	return ok
}

// RotateKEK writes a new KEK file of the next generation (mode 0600, never
// overwriting) and makes it the current KEK. It returns the ids of the
// previous and the new KEK. Data keys wrapped before stay readable as long
// as their KEK file stays; Rewrap moves them to the new one.
func (kr *Keyring) RotateKEK() (previous, next string, err error) {
	kr.reload.mu.Lock() // no reload in between adopts an older directory
	defer kr.reload.mu.Unlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	key := randomKey()
	id := keyID(tagKEK, key)
	gen := kr.kekGen + 1
	path := filepath.Join(kr.conf.Dir, kekFileName(gen))
	if err := writeNew(path, secretLine(fmt.Sprintf("livc-broker key-encryption key, generation %d", gen), tagKEK, key)); err != nil {
		return "", "", err
	}
	if err := syncDir(kr.conf.Dir); err != nil {
		return "", "", err
	}
	previous = hex.EncodeToString(kr.kekID[:])
	kr.keks[id], kr.kekID, kr.kekGen = key, id, gen
	return previous, hex.EncodeToString(id[:]), nil
}

// adoptDirectory reads the key directory into a fresh Keyring and, if all
// of it loads, adopts its state (see Reload).
func (kr *Keyring) adoptDirectory() error {
	fresh := &Keyring{conf: kr.conf}
	if err := fresh.loadFiles(); err != nil {
		return err
	}
	if string(fresh.pseudonym) != string(kr.pseudonym) || fresh.signer != kr.signer {
		return errors.New("keys: reload: the pseudonym secret or the checkpoint key changed on disk; restart the broker")
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	destroyedBefore := fresh.epoch.oldest
	kr.x25519, kr.hybrid, kr.retired = fresh.x25519, fresh.hybrid, fresh.retired
	kr.keks, kr.kekID, kr.kekGen = fresh.keks, fresh.kekID, fresh.kekGen
	kr.epoch = fresh.epoch
	kr.cache.forgetEpochsBefore(destroyedBefore)
	return nil
}
