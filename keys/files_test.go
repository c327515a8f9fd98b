package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureDir copies testdata/keyring into a fresh directory with the modes
// Load demands (git does not keep them) and returns it.
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	for _, name := range fileNames {
		b, err := os.ReadFile(filepath.Join("testdata", "keyring", name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func fixture(tb testing.TB) *Keyring {
	tb.Helper()
	kr, err := Load(fixtureDir(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

func sameKeys(a, b *Keyring) bool {
	return a.x25519.String() == b.x25519.String() && a.hybrid.String() == b.hybrid.String() &&
		bytes.Equal(a.pseudonym, b.pseudonym) && a.kekID == b.kekID && a.signer == b.signer
}

// secretsOf returns every secret line of the key files of dir.
func secretsOf(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	for _, name := range fileNames {
		line, err := readKeyFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, line)
		if f := strings.Fields(line); len(f) == 3 {
			out = append(out, f[2]) // the bare key of a LIVC line
		}
	}
	return out
}

func TestCreateLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	created, err := Create(dir)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	for _, name := range fileNames {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode = %v, %v; want 0600", name, fi.Mode().Perm(), err)
		}
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !sameKeys(created, loaded) {
		t.Fatal("loaded keys differ from created ones")
	}
	if created.CheckpointVerifierKey() != loaded.CheckpointVerifierKey() {
		t.Fatal("verifier keys differ")
	}
	wrapped, _ := created.NewDataKey()
	sealed, err := created.Seal(wrapped, []byte("ad"), []byte("record"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.Open(wrapped, []byte("ad"), sealed); err != nil || string(got) != "record" {
		t.Fatalf("Open after reload = %q, %v", got, err)
	}
	other, err := Create(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	if sameKeys(created, other) || created.Recipients()[0] == other.Recipients()[0] {
		t.Fatal("two Creates made the same keys")
	}
}

func TestCreateRefusesOverwrite(t *testing.T) {
	for _, name := range fileNames {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Create(dir)
			if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), name) {
				t.Fatalf("Create over %s: %v, want ErrExists naming it", name, err)
			}
			if b, _ := os.ReadFile(path); string(b) != "precious" {
				t.Fatal("existing file changed")
			}
			if present, _ := presentFiles(dir); len(present) != 1 {
				t.Fatalf("Create wrote %v next to the existing file", present)
			}
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	first, created, err := LoadOrCreateWith(Conf{Dir: dir})
	if err != nil || !created {
		t.Fatalf("first LoadOrCreate: created=%v, %v", created, err)
	}
	second, created, err := LoadOrCreateWith(Conf{Dir: dir})
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v, %v", created, err)
	}
	if !sameKeys(first, second) {
		t.Fatal("second LoadOrCreate made new keys")
	}
	if err := os.Remove(filepath.Join(dir, FilePseudonym)); err != nil {
		t.Fatal(err)
	}
	_, created, err = LoadOrCreateWith(Conf{Dir: dir})
	if err == nil || created || !strings.Contains(err.Error(), FilePseudonym) {
		t.Fatalf("LoadOrCreate of an incomplete keyring: created=%v, %v; want a refusal naming %s", created, err, FilePseudonym)
	}
	if _, err := os.Stat(filepath.Join(dir, FilePseudonym)); err == nil {
		t.Fatal("LoadOrCreate replaced a lost key")
	}
}

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

func TestConf(t *testing.T) {
	tests := []struct {
		name string
		conf Conf
		ok   bool
	}{
		{"defaults", Conf{Dir: "k"}, true},
		{"no dir", Conf{}, false},
		{"negative size", Conf{Dir: "k", CacheSize: -1}, false},
		{"huge size", Conf{Dir: "k", CacheSize: maxCacheSize + 1}, false},
		{"tiny ttl", Conf{Dir: "k", CacheTTL: time.Millisecond}, false},
		{"long ttl", Conf{Dir: "k", CacheTTL: 48 * time.Hour}, false},
		{"set", Conf{Dir: "k", CacheSize: 10, CacheTTL: time.Minute}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.conf.WithDefaults().Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if c := (Conf{Dir: "k"}).WithDefaults(); c.CacheSize != DefaultCacheSize || c.CacheTTL != DefaultCacheTTL {
		t.Fatalf("defaults = %+v", c)
	}
	if _, err := LoadWith(Conf{Dir: fixtureDir(t), CacheSize: -1}); err == nil {
		t.Fatal("LoadWith accepted an invalid Conf")
	}
}

// TestWriteNewWhole: writeNew refuses an existing file, leaves nothing
// beside what it wrote, and what it wrote is whole.
func TestWriteNewWhole(t *testing.T) {
	dir := fixtureDir(t)
	path := filepath.Join(dir, "kek-2.key")
	content := secretLine("test", tagKEK, randomKey())
	if err := writeNew(path, content); err != nil {
		t.Fatal(err)
	}
	if err := writeNew(path, []byte("other")); !errors.Is(err, ErrExists) {
		t.Fatalf("second writeNew = %v, want ErrExists", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != string(content) {
		t.Fatalf("content %q, %v", b, err)
	}
	if fi := mustStat(t, path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("left %s behind", e.Name())
		}
	}
}
