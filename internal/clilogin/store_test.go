package clilogin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Token {
	return &Token{Issuer: "https://idp.example", ClientID: "livcctl", AccessToken: "at-secret", RefreshToken: "rt-secret",
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf", "livcctl")
	path := filepath.Join(dir, "token.json")
	if err := Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(name), fi.Mode().Perm(), want)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *sample() {
		t.Errorf("loaded %+v, want %+v", got, sample())
	}
	t.Run("a file of broader mode is replaced by Save", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Save(path, sample()); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o after Save", fi.Mode().Perm())
		}
	})
}

func TestLoadRefuses(t *testing.T) {
	good := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "token.json")
		if err := Save(path, sample()); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name  string
		setup func(t *testing.T) string
		says  string
	}{
		{"readable by the group", func(t *testing.T) string { p := good(t); os.Chmod(p, 0o640); return p }, "mode 0640"},
		{"readable by anyone", func(t *testing.T) string { p := good(t); os.Chmod(p, 0o604); return p }, "mode 0604"},
		{"writable by anyone", func(t *testing.T) string { p := good(t); os.Chmod(p, 0o602); return p }, "open to others"},
		{"a directory", func(t *testing.T) string { p := filepath.Join(t.TempDir(), "d"); os.Mkdir(p, 0o700); return p }, "not a regular file"},
		{"not JSON", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "token.json")
			os.WriteFile(p, []byte("at-secret"), 0o600)
			return p
		}, "not a token set"},
		{"no access token", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "token.json")
			os.WriteFile(p, []byte(`{"issuer":"https://idp.example","client_id":"c"}`), 0o600)
			return p
		}, "lacks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.setup(t))
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json")); err != ErrNoToken {
		t.Errorf("a missing file: %v, want ErrNoToken", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/somewhere")
	t.Setenv("HOME", "/home/x")
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if p != "/somewhere/livcctl/token.json" {
		t.Errorf("DefaultPath = %q", p)
	}
}
