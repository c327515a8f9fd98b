package witness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// ParseLogFlags reads ORIGIN=VERIFIERKEY pairs (the logs a witness knows:
// a cell's log origin, livc-broker/audit/<cell>, and the broker's
// checkpoint key), refusing a key that is not a note verifier key and an
// origin given twice.
func ParseLogFlags(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		origin, vkey, ok := strings.Cut(p, "=")
		if !ok || origin == "" || strings.ContainsAny(origin, "\n") {
			return nil, fmt.Errorf("witness: --log %q is not ORIGIN=VERIFIERKEY", p)
		}
		if _, err := note.NewVerifier(vkey); err != nil {
			return nil, fmt.Errorf("witness: the key of %s: %w", origin, err)
		}
		if _, dup := out[origin]; dup {
			return nil, fmt.Errorf("witness: %s given twice", origin)
		}
		out[origin] = vkey
	}
	return out, nil
}

// LoadSigner reads a witness signing key from a file (GenerateKey's skey,
// as `livcctl witness keygen` writes it), refusing a file others may read.
func LoadSigner(path string) (note.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("witness: %s may be read by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return NewSigner(string(b))
}

// Serve serves c's tlog-witness API on addr until ctx ends, then shuts the
// server down. ready, if set, is called with the address listened on.
func Serve(ctx context.Context, addr string, c *Cosigner, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	if ready != nil {
		ready(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// WriteKey writes a signing key to a new file of mode 0600; an existing
// file is an error (a witness's key is never overwritten).
func WriteKey(path, skey string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(skey + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ServeConf is what `livcctl witness serve` takes: files and flags.
type ServeConf struct {
	Listen, State, KeyFile string
	Logs                   []string // ORIGIN=VERIFIERKEY
	Logger                 *slog.Logger
}

// ServeFiles reads the key and the logs, opens the state and serves until
// ctx ends. A usage mistake (missing file or log) is an ErrUsage.
func ServeFiles(ctx context.Context, c ServeConf) error {
	known, err := ParseLogFlags(c.Logs)
	if err != nil || c.State == "" || c.KeyFile == "" || len(known) == 0 {
		return errors.Join(ErrUsage, err)
	}
	signer, err := LoadSigner(c.KeyFile)
	if err != nil {
		return err
	}
	cs, err := NewCosigner(CosignerConf{Signer: signer, Logs: known, State: c.State, Logger: c.Logger})
	if err != nil {
		return err
	}
	return Serve(ctx, c.Listen, cs, func(a net.Addr) {
		cs.conf.Logger.Info("witness listening", "addr", a.String(), "name", signer.Name())
	})
}

// ErrBadQuorum is a quorum asked of keys that do not parse or are too few.
var ErrBadQuorum = errors.New("--quorum N needs N >= 1 and at least N --witness keys (cosignature/v1 verifier keys)")

// ErrUsage is a witness command given without what it needs.
var ErrUsage = errors.New("give --state, --key and at least one --log ORIGIN=VERIFIERKEY")

// Keygen makes a witness key named name, writes its signing key to a new
// file keyFile (0600) and returns its verifier key.
func Keygen(rand io.Reader, name, keyFile string) (string, error) {
	skey, vkey, err := GenerateKey(rand, name)
	if err != nil {
		return "", err
	}
	if err := WriteKey(keyFile, skey); err != nil {
		return "", err
	}
	return vkey, nil
}

// AwaitQuorum asks fetch for the log's latest checkpoint until it carries
// valid cosignatures of need of the witness keys wkeys (Quorum) or wait has
// passed, every quarter second. It returns the checkpoint and who cosigned
// it, or the last *QuorumError.
func AwaitQuorum(fetch func() ([]byte, error), logKey string, wkeys []string, need int, wait time.Duration) ([]byte, []string, error) {
	ws, err := ParseWitnessKeys(wkeys)
	if err != nil || need < 1 || need > len(ws) {
		return nil, nil, errors.Join(ErrBadQuorum, err)
	}
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, nil, err
	}
	for deadline := time.Now().Add(wait); ; time.Sleep(250 * time.Millisecond) {
		signed, err := fetch()
		if err != nil {
			return nil, nil, err
		}
		names, err := Quorum(signed, v, ws, need)
		if err == nil {
			return signed, names, nil
		}
		var qe *QuorumError
		if !errors.As(err, &qe) || time.Now().After(deadline) {
			return nil, nil, err
		}
	}
}
