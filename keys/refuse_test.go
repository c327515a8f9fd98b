package keys

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Loading refuses a key directory it must not trust: modes, owners,
// corrupt files.

// fullFixtureDir is fixtureDir after a first load (epoch.key), a KEK
// rotation (kek-2.key) and an identity rotation (two retired identity
// files, still in their grace period): a directory with every kind of key
// file Load reads. It returns the directory and the names of its files.
func fullFixtureDir(tb testing.TB) (string, []string) {
	tb.Helper()
	dir := fixtureDir(tb)
	kr, err := Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := kr.RotateKEK(); err != nil {
		tb.Fatal(err)
	}
	if err := kr.RotateIdentities(time.Hour); err != nil {
		tb.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return dir, names
}

// copyDir copies the key files of src into a new directory, mode 0600.
func copyDir(tb testing.TB, src string, names []string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func TestLoadRefusesModes(t *testing.T) {
	src, names := fullFixtureDir(t)
	for _, want := range []string{FileEpoch, "kek-2.key", "age-x25519" + retiredInfix, "age-pq" + retiredInfix} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Fatalf("the fixture has no %s file: %v", want, names)
		}
	}
	for _, name := range names {
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o700 | 0o040} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) {
				dir := copyDir(t, src, names)
				if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
					t.Fatal(err)
				}
				_, err := Load(dir)
				if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "group or others") {
					t.Fatalf("Load with %s %v: %v", name, mode, err)
				}
			})
		}
	}
	t.Run("0400 accepted", func(t *testing.T) {
		dir := copyDir(t, src, names)
		for _, name := range names {
			os.Chmod(filepath.Join(dir, name), 0o400)
		}
		if _, err := Load(dir); err != nil {
			t.Fatalf("Load of read-only files: %v", err)
		}
	})
	t.Run("directory writable by others", func(t *testing.T) {
		dir := copyDir(t, src, names)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
			t.Fatalf("Load: %v", err)
		}
	})
}

// TestLoadRefusesOtherOwner: a key file owned by another user than the one
// the broker runs as is refused, naming the file. Each file in turn is given
// to another uid, which takes root (as the test runs in CI); the last case
// pretends the broker runs as another uid instead, which needs no privilege.
func TestLoadRefusesOtherOwner(t *testing.T) {
	if _, ok := fileOwner(mustStat(t, ".")); !ok {
		t.Skip("file ownership is not checked on this platform")
	}
	src, names := fullFixtureDir(t)
	t.Run("own files accepted", func(t *testing.T) {
		if _, err := Load(copyDir(t, src, names)); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
	other := os.Geteuid() + 4242
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, src, names)
			if err := os.Chown(filepath.Join(dir, name), other, -1); err != nil {
				t.Skipf("cannot give a file to another uid without root: %v", err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "owned by uid") {
				t.Fatalf("Load with %s owned by uid %d: %v", name, other, err)
			}
		})
	}
	t.Run("the broker runs as another uid", func(t *testing.T) {
		real := effectiveUID
		defer func() { effectiveUID = real }()
		effectiveUID = func() int { return other }
		if _, err := Load(copyDir(t, src, names)); err == nil || !strings.Contains(err.Error(), "owned by uid") {
			t.Fatalf("Load of files owned by another uid: %v", err)
		}
	})
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestLoadRefusesCorrupt(t *testing.T) {
	type edit func(t *testing.T, path string)
	write := func(content string) edit {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	transform := func(f func(line string) string) edit {
		return func(t *testing.T, path string) {
			line, err := readKeyFile(path)
			if err != nil {
				t.Fatal(err)
			}
			write(f(line)+"\n")(t, path)
		}
	}
	cases := map[string]edit{
		"missing":     func(t *testing.T, path string) { os.Remove(path) },
		"empty":       write(""),
		"comments":    write("# only a comment\n"),
		"garbage":     write("not a key\n"),
		"two lines":   transform(func(l string) string { return l + "\n" + l }),
		"truncated":   transform(func(l string) string { return l[:len(l)-5] }),
		"one changed": transform(changeOneChar),
		"too long":    write(strings.Repeat("#", maxKeyFile+1)),
		"directory": func(t *testing.T, path string) {
			os.Remove(path)
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, name := range fileNames {
		for cname, ed := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				dir := fixtureDir(t)
				secrets := secretsOf(t, dir)
				ed(t, filepath.Join(dir, name))
				_, err := Load(dir)
				if err == nil {
					t.Fatal("Load accepted it")
				}
				if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
					t.Errorf("error %q does not name the file", err)
				}
				for _, s := range secrets {
					if strings.Contains(err.Error(), s) {
						t.Fatalf("error %q quotes key material", err)
					}
				}
			})
		}
	}
}

// changeOneChar changes one character in the middle of the key data to a
// different character of the same alphabet (letters stay letters).
func changeOneChar(line string) string {
	i := len(line) - 10
	c := line[i]
	switch {
	case c == 'q':
		c = 'p'
	case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
		c++
	default:
		c = 'q'
	}
	return line[:i] + string(c) + line[i+1:]
}
