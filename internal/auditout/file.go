package auditout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/livc/livc-broker/broker"
)

// FileConf is a JSON-lines sink file's settings.
type FileConf struct {
	// Path is the file; its directory must exist. Rotated files sit beside
	// it, named with the time of rotation.
	Path string
	// MaxMB rotates the file when it would grow past this size; default
	// 100. Backups is how many rotated files are kept; default 10, 0 keeps
	// them all (a SIEM that reads them removes them).
	MaxMB   int
	Backups int
}

// File is an Output writing each entry as one line of JSON (as GET
// /v1/audit gives it: with livc, index and leaf_hash) to a file that
// rotates by size. The file and its backups are created mode 0600, and an
// existing file others may read is refused: entries name pseudonyms and
// dossiers.
type File struct {
	w *lumberjack.Logger
}

// NewFile opens (creating if need be) the sink file of c.
func NewFile(c FileConf) (*File, error) {
	if c.Path == "" {
		return nil, errors.New("auditout: a sink file needs a path")
	}
	if c.MaxMB <= 0 {
		c.MaxMB = 100
	}
	if c.Backups < 0 {
		return nil, errors.New("auditout: backups must be 0 or more")
	}
	if fi, err := os.Stat(filepath.Dir(c.Path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("auditout: the sink file's directory %s does not exist", filepath.Dir(c.Path))
	}
	if fi, err := os.Stat(c.Path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auditout: the sink file %s may be read by others (mode %v): make it 0600", c.Path, fi.Mode().Perm())
	}
	w := &lumberjack.Logger{Filename: c.Path, MaxSize: c.MaxMB, MaxBackups: c.Backups, LocalTime: false}
	return &File{w: w}, nil
}

// Name implements Output.
func (*File) Name() string { return "file" }

// Deliver implements Output: one line per entry, each written whole (a line
// never straddles a rotation).
func (f *File) Deliver(_ context.Context, _ string, entries []broker.AuditEntry) error {
	return eachJSON(entries, func(line []byte) error {
		if _, err := f.w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("auditout: sink file: %w", err)
		}
		return nil
	})
}

// eachJSON calls write with the JSON of each entry, in order, until one
// fails.
func eachJSON(entries []broker.AuditEntry, write func(line []byte) error) error {
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := write(line); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (f *File) Close() error { return f.w.Close() }
