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
