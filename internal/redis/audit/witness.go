package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/internal/atomicfile"

	"github.com/livc/livc-broker/broker/auditlog"
)

// Witness keeps, outside Redis, the last checkpoint the broker signed of
// each log. Redis alone cannot stop a rebuilt log from being signed: whoever
// rebuilds it can delete its checkpoints too, and a restarted broker forgets
// what it signed. A Log with a Witness never signs a tree that does not
// extend the witness's checkpoint, and its Verify reports one that does not.
type Witness interface {
	// Last returns the last checkpoint recorded of the log of origin; ok is
	// false when none is.
	Last(origin string) (cp auditlog.Checkpoint, ok bool)
	// Record keeps cp (signed, its signed note) if it is larger than the
	// last one of its log. It is called before the checkpoint is published;
	// an error stops the publication.
	Record(cp auditlog.Checkpoint, signed []byte) error
}

// FileWitness is a Witness in one JSON file (mode 0600): origin → the signed
// note of the last checkpoint. Each note is verified with the broker's key
// when read, so the file cannot be forged without that key. Several
// processes may share the file: each write merges what is there, keeping
// the larger checkpoint of each log.
type FileWitness struct {
	path string
	v    note.Verifier

	mu   sync.Mutex
	last map[string]witnessed
}

// witnessed is one log's entry of the file.
type witnessed struct {
	cp     auditlog.Checkpoint
	signed string
}

// OpenFileWitness reads the witness file at path (none there yet is an
// empty witness), verifying every note with v. A file that does not parse,
// or holds a note that does not verify or is filed under another origin, is
// an error: the broker must not start on a witness it cannot trust.
func OpenFileWitness(path string, v note.Verifier) (*FileWitness, error) {
	w := &FileWitness{path: path, v: v}
	last, err := w.read()
	if err != nil {
		return nil, err
	}
	w.last = last
	return w, nil
}

// read reads and verifies the file; a missing file is empty.
func (w *FileWitness) read() (map[string]witnessed, error) {
	out := map[string]witnessed{}
	b, err := os.ReadFile(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit witness: %w", err)
	}
	var notes map[string]string
	if err := json.Unmarshal(b, &notes); err != nil {
		return nil, fmt.Errorf("audit witness %s: not a JSON object of signed checkpoints", w.path)
	}
	for origin, n := range notes {
		cp, err := auditlog.OpenWith([]byte(n), w.v, origin)
		if err != nil {
			return nil, fmt.Errorf("audit witness %s: the checkpoint of %q: %w", w.path, origin, err)
		}
		out[origin] = witnessed{cp: cp, signed: n}
	}
	return out, nil
}

// Last implements Witness. It reads the file again, so that a checkpoint
// another process recorded counts too; a file that cannot be read leaves
// what this process knew (and its next Record fails, loudly).
func (w *FileWitness) Last(origin string) (auditlog.Checkpoint, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if unlock, err := w.lock(syscall.LOCK_SH); err == nil {
		onDisk, err := w.read()
		unlock()
		if err == nil {
			w.merge(onDisk)
		}
	}
	x, ok := w.last[origin]
	return x.cp, ok
}

// merge keeps, of each log, the larger of what w knows and onDisk holds.
func (w *FileWitness) merge(onDisk map[string]witnessed) {
	for origin, x := range onDisk {
		if x.cp.Size > w.last[origin].cp.Size {
			w.last[origin] = x
		}
	}
}

// lock takes an advisory lock (how: syscall.LOCK_SH or LOCK_EX) on the file
// next to the witness's, so that processes sharing it neither lose each
// other's checkpoints (read, merge and write under LOCK_EX) nor read a
// half-merged view.
func (w *FileWitness) lock(how int) (unlock func(), err error) {
	f, err := os.OpenFile(w.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit witness: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit witness: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Record implements Witness: it merges the file's current content (another
// process's checkpoints), then writes the file anew, atomically (a
// temporary file, synced, renamed).
func (w *FileWitness) Record(cp auditlog.Checkpoint, signed []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if x, ok := w.last[cp.Origin]; ok && x.cp.Size >= cp.Size {
		return nil
	}
	unlock, err := w.lock(syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	onDisk, err := w.read()
	if err != nil {
		return err
	}
	w.merge(onDisk)
	if x, ok := w.last[cp.Origin]; !ok || x.cp.Size < cp.Size {
		w.last[cp.Origin] = witnessed{cp: cp, signed: string(signed)}
	}
	notes := make(map[string]string, len(w.last))
	for origin, x := range w.last {
		notes[origin] = x.signed
	}
	b, err := json.MarshalIndent(notes, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(w.path, b, 0o600); err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	return nil
}
