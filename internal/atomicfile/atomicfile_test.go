package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"first", "second, longer than the first"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want the file alone (no temporary left)", len(entries))
	}
	t.Run("a missing directory fails and writes nothing", func(t *testing.T) {
		if err := Write(filepath.Join(dir, "none", "f"), []byte("x"), 0o600); err == nil {
			t.Error("written into a missing directory")
		}
	})
	t.Run("a failed rename leaves the old file and no temporary", func(t *testing.T) {
		target := filepath.Join(dir, "adir")
		if err := os.Mkdir(target, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Write(target, []byte("x"), 0o600); err == nil {
			t.Error("renamed over a non-empty directory")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("%d files, want state.json and adir", len(entries))
		}
	})
}
