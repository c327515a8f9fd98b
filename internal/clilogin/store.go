package clilogin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/livc/livc-broker/internal/atomicfile"
)

// Token is the token set Login gets and Save keeps. It also names the
// provider and the client, so that AccessToken can refresh it alone.
type Token struct {
	Issuer       string `json:"issuer"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// Expiry is when the access token ends; zero when the provider did
	// not say, in which case the token is taken as good until refused.
	Expiry time.Time `json:"expiry,omitzero"`
}

// maxFileBytes bounds the token file Load reads.
const maxFileBytes = 1 << 20

// DefaultPath is where livcctl keeps its token set: the user's
// configuration directory (os.UserConfigDir: $XDG_CONFIG_HOME or ~/.config
// on Linux), livcctl/token.json.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("clilogin: no configuration directory: %w", err)
	}
	return filepath.Join(dir, "livcctl", "token.json"), nil
}

// Save writes t to path with mode 0600, creating its directory with mode
// 0700 when missing. It writes a new file beside path and renames it over
// path, so that a crash never leaves half a token set, and a file of
// broader permissions is replaced, not reused.
func Save(path string, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("clilogin: no token to save")
	}
	buf, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("clilogin: %w", err)
	}
	if err := atomicfile.Write(path, append(buf, '\n'), 0o600); err != nil {
		return fmt.Errorf("clilogin: %w", err)
	}
	return nil
}

// ErrNoToken is Load's error when there is no token file: nobody logged in.
var ErrNoToken = errors.New("clilogin: no saved token")

// Load reads the token set at path. It refuses a file that is not a
// regular file or that anyone but its owner may read or write (mode
// broader than 0600): a token others could read may already be theirs.
func Load(path string) (*Token, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, fmt.Errorf("clilogin: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("clilogin: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("clilogin: %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("clilogin: %s has mode %04o, open to others: remove it and log in again, or chmod 600 it", path, fi.Mode().Perm())
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("clilogin: %w", err)
	}
	if len(buf) > maxFileBytes {
		return nil, fmt.Errorf("clilogin: %s is larger than %d bytes", path, maxFileBytes)
	}
	var t Token
	if err := json.Unmarshal(buf, &t); err != nil {
		return nil, fmt.Errorf("clilogin: %s is not a token set: %w", path, err)
	}
	if t.AccessToken == "" || t.Issuer == "" || t.ClientID == "" {
		return nil, fmt.Errorf("clilogin: %s lacks the access token, issuer or client", path)
	}
	return &t, nil
}
