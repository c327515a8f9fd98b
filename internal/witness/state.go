package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/internal/atomicfile"
)

// state is a Cosigner's file: per log origin, the log's verifier key and
// the size and root hash of the last checkpoint cosigned. It is the whole
// of what the witness remembers; it is written (atomically, synced) before
// any cosignature leaves the witness, so that no checkpoint is ever
// cosigned that a restart could forget.
type state struct {
	Logs map[string]*logState `json:"logs"`
}

// logState is one log's entry.
type logState struct {
	Key  string    `json:"key"`
	Size int64     `json:"size"`
	Hash tlog.Hash `json:"hash"` // encoding/json writes it as base64
}

// readState reads the state file; none there yet is an empty state.
func readState(path string) (*state, error) {
	st := &state{Logs: map[string]*logState{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil || st.Logs == nil {
		return nil, fmt.Errorf("witness state %s: not a witness state file", path)
	}
	for origin, l := range st.Logs {
		if l == nil || l.Size < 0 {
			return nil, fmt.Errorf("witness state %s: bad entry for %q", path, origin)
		}
	}
	return st, nil
}

// write replaces the file at path with st, mode 0600: a temporary file,
// synced, renamed over it, and the directory synced, so that a crash leaves
// the old state or the new one.
func (st *state) write(path string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("witness state: %w", err)
	}
	return nil
}
