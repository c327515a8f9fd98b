package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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
	first, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreate: created=%v, %v", created, err)
	}
	second, created, err := LoadOrCreate(dir)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v, %v", created, err)
	}
	if !sameKeys(first, second) {
		t.Fatal("second LoadOrCreate made new keys")
	}
	if err := os.Remove(filepath.Join(dir, FilePseudonym)); err != nil {
		t.Fatal(err)
	}
	_, created, err = LoadOrCreate(dir)
	if err == nil || created || !strings.Contains(err.Error(), FilePseudonym) {
		t.Fatalf("LoadOrCreate of an incomplete keyring: created=%v, %v; want a refusal naming %s", created, err, FilePseudonym)
	}
	if _, err := os.Stat(filepath.Join(dir, FilePseudonym)); err == nil {
		t.Fatal("LoadOrCreate replaced a lost key")
	}
}

func TestLoadRefusesModes(t *testing.T) {
	for _, name := range fileNames {
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o700 | 0o040} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) {
				dir := fixtureDir(t)
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
		dir := fixtureDir(t)
		for _, name := range fileNames {
			os.Chmod(filepath.Join(dir, name), 0o400)
		}
		if _, err := Load(dir); err != nil {
			t.Fatalf("Load of read-only files: %v", err)
		}
	})
	t.Run("directory writable by others", func(t *testing.T) {
		dir := fixtureDir(t)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
			t.Fatalf("Load: %v", err)
		}
	})
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
