package clilogin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads arbitrary bytes as a token file of the right mode: Load
// must never panic, and must either refuse the file or give a set with an
// access token, an issuer and a client; its error never quotes the file
// beyond a character.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://idp.example","client_id":"livcctl","access_token":"at","refresh_token":"rt","expiry":"2030-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"issuer":"","client_id":"c","access_token":"at"}`))
	f.Add([]byte(`{"expiry":"yesterday"}`))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, buf []byte) {
		path := filepath.Join(dir, "token.json")
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := Load(path)
		if err != nil {
			if len(buf) >= 16 && strings.Contains(err.Error(), string(buf)) {
				t.Fatalf("the error quotes the file: %v", err)
			}
			return
		}
		if tok.AccessToken == "" || tok.Issuer == "" || tok.ClientID == "" {
			t.Fatalf("loaded an incomplete set %+v", tok)
		}
	})
}
