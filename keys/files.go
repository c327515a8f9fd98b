package keys

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key file names in the key directory.
const (
	FileX25519     = "age-x25519.key"
	FileHybrid     = "age-pq.key"
	FilePseudonym  = "pseudonym.key"
	FileKEK        = "kek.key"
	FileCheckpoint = "checkpoint.key"
)

// fileNames lists every key file, in the order they are written.
var fileNames = []string{FileX25519, FileHybrid, FilePseudonym, FileKEK, FileCheckpoint}

// maxKeyFile bounds what is read of a key file: all are well under 1 KiB.
const maxKeyFile = 64 << 10

// ErrExists is returned by Create when a key file is already there.
var ErrExists = errors.New("key file already exists")

// fileError names the key file at fault; its cause never holds key material.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return "keys: " + e.path + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

func fileErr(path string, format string, args ...any) error {
	return &fileError{path: path, err: fmt.Errorf(format, args...)}
}

// checkDir refuses a key directory that group or others may write: they could
// swap a key file.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return &fileError{path: dir, err: err}
	}
	if !fi.IsDir() {
		return fileErr(dir, "not a directory")
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fileErr(dir, "key directory is writable by group or others (mode %04o); chmod 700 it", fi.Mode().Perm())
	}
	return nil
}

// readKeyFile returns the one non-comment line of a key file. It refuses a
// file that is not regular, that is not owned by the user the broker runs as
// (another user could have planted it, or reads it), that group or others
// may read or write, that is too long, or that holds no line or more than
// one. Owner and mode are checked on the opened file, so they cannot change
// between check and read.
func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fileErr(path, "missing key file")
		}
		return "", &fileError{path: path, err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", &fileError{path: path, err: err}
	}
	if !fi.Mode().IsRegular() {
		return "", fileErr(path, "not a regular file")
	}
	if err := checkOwner(path, fi); err != nil {
		return "", err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fileErr(path, "key file is accessible by group or others (mode %04o); chmod 600 it", perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return "", &fileError{path: path, err: err}
	}
	if len(b) > maxKeyFile {
		return "", fileErr(path, "corrupt key file: too long")
	}
	return keyLine(path, b)
}

// checkOwner refuses a key file owned by another uid than the broker's.
func checkOwner(path string, fi fs.FileInfo) error {
	uid, ok := fileOwner(fi)
	if !ok {
		return nil
	}
	if want := effectiveUID(); want >= 0 && uid != uint32(want) {
		return fileErr(path, "key file is owned by uid %d, not by the broker's uid %d; chown it", uid, want)
	}
	return nil
}

func keyLine(path string, b []byte) (string, error) {
	var line string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if line != "" {
			return "", fileErr(path, "corrupt key file: more than one key line")
		}
		line = l
	}
	if err := sc.Err(); err != nil {
		return "", fileErr(path, "corrupt key file: unreadable lines")
	}
	if line == "" {
		return "", fileErr(path, "corrupt key file: no key line")
	}
	return line, nil
}

// writeKeyFiles creates every file of files (name to content) in dir with
// mode 0600, refusing to overwrite any. If one fails, the files it created are
// removed, so a failed Create leaves the directory as it found it.
func writeKeyFiles(dir string, files map[string][]byte) (err error) {
	for _, name := range fileNames {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			return &fileError{path: filepath.Join(dir, name), err: ErrExists}
		}
	}
	var created []string
	defer func() {
		if err != nil {
			for _, p := range created {
				os.Remove(p)
			}
		}
	}()
	for _, name := range fileNames {
		path := filepath.Join(dir, name)
		if err := writeNew(path, files[name]); err != nil {
			return err
		}
		created = append(created, path)
	}
	return syncDir(dir)
}

// writeNew creates path with content, mode 0600, flushed to disk, refusing
// to overwrite (ErrExists). The file appears at path whole or not at all:
// the content is written to a temporary file beside it, which is then
// hard-linked to path (a link, unlike a rename, never replaces an existing
// file). Another process reading the directory meanwhile, a broker adopting
// a KEK on demand (reload.go), never sees a half-written key file. On
// failure it removes what it created.
func writeNew(path string, content []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return &fileError{path: path, err: ErrExists}
	}
	var r [8]byte
	rand.Read(r[:])
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+hex.EncodeToString(r[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return &fileError{path: path, err: err}
	}
	defer os.Remove(tmp)
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return &fileError{path: path, err: ErrExists}
	case err != nil:
		return &fileError{path: path, err: err}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return &fileError{path: dir, err: err}
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return &fileError{path: dir, err: err}
	}
	return nil
}

// presentFiles returns the key files of dir that exist.
func presentFiles(dir string) ([]string, error) {
	var present []string
	for _, name := range fileNames {
		_, err := os.Lstat(filepath.Join(dir, name))
		switch {
		case err == nil:
			present = append(present, name)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, &fileError{path: filepath.Join(dir, name), err: err}
		}
	}
	return present, nil
}
