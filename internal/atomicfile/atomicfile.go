// Package atomicfile replaces a file so that a crash leaves the old file or
// the new one, never a torn one: the broker's witness file, an outside
// witness's state, livcctl's saved token and verification state, the
// development keys.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode perm: a temporary file beside it,
// written and flushed, renamed over it, then the directory flushed so that
// the rename itself survives a crash. The temporary file is removed on any
// error; path is untouched by any error before the rename (one flushing the
// directory after it leaves the new file in place, possibly not yet on disk).
func Write(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
