package auditclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/livc/livc-broker/internal/atomicfile"
)

// HTTP fetches from a broker's /v1/audit/tiles/ with a bearer token, under
// a purpose (audit_review).
type HTTP struct {
	Broker  string // the broker's base URL
	Token   string
	Purpose string
	Client  *http.Client // http.DefaultClient when nil
}

// maxFetch bounds one answer: a tile is 8 KiB, a bundle 256 entries.
const maxFetch = 64 << 20

// Fetch implements Fetcher.
func (h *HTTP) Fetch(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(h.Broker, "/")+"/v1/audit/tiles/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("LIVC-Purpose", h.Purpose)
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: the broker answered %s", path, resp.Status)
	}
	return body, nil
}

// StatePath is the default file of the state of the log of a broker: in
// the user's cache directory, named by the broker's URL.
func StatePath(broker string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(strings.TrimSuffix(broker, "/")))
	return filepath.Join(dir, "livcctl", "audit-"+hex.EncodeToString(sum[:8])+".json"), nil
}

// LoadState reads a state file; a missing one is an empty state (a first
// run).
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// SaveState writes a state file (0600, its directory made) atomically: a
// crash leaves the old one or the new one.
func SaveState(path string, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}
