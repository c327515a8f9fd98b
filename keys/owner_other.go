//go:build !unix

package keys

import "io/fs"

// effectiveUID is unknown off Unix: ownership is not checked there.
var effectiveUID = func() int { return -1 }

// fileOwner reports no owner off Unix, where file modes do not carry one.
func fileOwner(fs.FileInfo) (uint32, bool) { return 0, false }
