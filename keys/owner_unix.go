//go:build unix

package keys

import (
	"io/fs"
	"os"
	"syscall"
)

// effectiveUID is the user the key files must belong to; a test replaces it.
var effectiveUID = os.Geteuid

// fileOwner returns the uid owning the file described by fi.
func fileOwner(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
