package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/livc/livc-broker/keys"
)

// keyFileNames are the files `keys init` writes and `serve --keys` reads
// (epoch.key is written by the first load).
var keyFileNames = []string{keys.FileX25519, keys.FileHybrid, keys.FilePseudonym, keys.FileKEK, keys.FileCheckpoint, keys.FileEpoch}

// parseKeysInit reads the flags of `keys init`: only the directory, which
// is required (there is no default, so that production keys are never
// written where development ones live).
func parseKeysInit(args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("keys init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("keys", envOr("LIVC_KEYS", ""), "the `DIR` to create the broker's keys in: missing or empty (env LIVC_KEYS)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: livc-broker keys init --keys DIR\n\nCreates the broker's production keys in DIR (mode 0700, each file 0600), then serve --keys DIR.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("init takes no arguments, got %q", fs.Arg(0))
	}
	if *dir == "" {
		return "", errors.New("--keys DIR is required: the directory to create the keys in")
	}
	return *dir, nil
}

// keysInit creates a fresh keyring in dir, which must be missing or empty:
// it never writes beside or over existing files, so it cannot replace a
// key. It prints the files it wrote and the KEK id, never key material.
func keysInit(dir string, stdout io.Writer) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty (it holds %s): keys init writes only into an empty or missing directory, so that it never replaces a key; to use the keys already there, run serve --keys %s", dir, entries[0].Name(), dir)
	}
	kr, err := keys.CreateWith(keys.Conf{Dir: dir})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created the broker's keys in %s (directory 0700, files 0600):\n", dir)
	for _, name := range keyFileNames {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, name))
	}
	fmt.Fprintf(stdout, "key-encryption key %s. Back the directory up now and keep it secret: without it every record is unreadable.\nThen: livc-broker serve --keys %s ...\n", kr.CurrentKEK(), dir)
	return nil
}

// noKeysYet tells whether dir is missing or holds none of the key files, so
// that serve can say to run `keys init` rather than name a missing file.
func noKeysYet(dir string) bool {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return true
	}
	for _, name := range keyFileNames {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}
