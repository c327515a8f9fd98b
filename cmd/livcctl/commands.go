package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/envelope"
	"github.com/livc/livc-broker/internal/token"
)

// newDevCmd: livcctl dev, development keys and tokens.
func newDevCmd(env *cliEnv) *cobra.Command {
	var cfg, dir, issuer, audience string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "write a dev signing key, a JWKS and a token per actor of a cell [INSECURE]",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			cell := config.Demo()
			if cfg != "" {
				c, _, err := config.Load(cfg)
				if err != nil {
					return err
				}
				cell = c
			}
			actors := make([]string, 0, len(cell.Actors))
			for id := range cell.Actors {
				actors = append(actors, id)
			}
			sort.Strings(actors)
			if err := token.WriteDevSet(dir, cell.ID, actors, issuer, audience, ttl); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "wrote %s and a token per actor of cell %s in %s\n",
				token.DevJWKSPath(dir), cell.ID, filepath.Join(dir, "tokens"))
			fmt.Fprintf(env.stdout, "use one: export LIVC_TOKEN=$(cat %s)\n", filepath.Join(dir, "tokens", actors[0]+".jwt"))
			fmt.Fprintln(env.stderr, "[INSECURE] these are development keys and tokens: never use them in production")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg, "config", "", "the cell's configuration `FILE`; default the embedded demo cell")
	f.StringVar(&dir, "dir", filepath.Join(envOr("LIVC_DATA", ".livc"), "dev"), "`DIR` to write the signing key, jwks.json and tokens/ to")
	f.StringVar(&issuer, "issuer", envOr("LIVC_ISSUER", "livc-dev"), "`iss` of the tokens (env LIVC_ISSUER)")
	f.StringVar(&audience, "audience", envOr("LIVC_AUDIENCE", "livc-broker"), "`aud` of the tokens (env LIVC_AUDIENCE)")
	f.DurationVar(&ttl, "ttl", 12*time.Hour, "lifetime of the tokens; a broker refuses one longer than its --max-token-lifetime (12h by default)")
	return cmd
}

// newKeygenCmd: livcctl keygen, an age identity for an actor.
func newKeygenCmd(env *cliEnv) *cobra.Command {
	var out string
	var pq bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "make an age identity for an actor and print its recipient",
		Args:  exactArgs(0, "no argument"),
		RunE: func(*cobra.Command, []string) error {
			secret, recipient, err := newIdentity(pq)
			if err != nil {
				return err
			}
			text := fmt.Sprintf("# created: %s\n# recipient: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), recipient, secret)
			if out == "" {
				_, err := fmt.Fprint(env.stdout, text)
				return err
			}
			if err := writeNew(out, []byte(text), 0o600); err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.stdout, recipient)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "write", "", "write the identity to `FILE` (mode 0600; refuses to overwrite) and print only its recipient; default standard output")
	cmd.Flags().BoolVar(&pq, "pq", true, "make a post-quantum hybrid identity (age1pq1…); --pq=false for X25519")
	return cmd
}

// newIdentity returns a new age identity and its recipient.
func newIdentity(pq bool) (secret, recipient string, err error) {
	if pq {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return "", "", err
		}
		return id.String(), id.Recipient().String(), nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return id.String(), id.Recipient().String(), nil
}

// writeNew writes b to a new file name with mode perm; it refuses to
// overwrite one.
func writeNew(name string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newKeysCmd: livcctl keys, the broker's public keys (GET /v1/keys).
func newKeysCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "the broker's public keys: its age recipients and its checkpoint verifier key",
		Args:  exactArgs(0, "no argument"),
	}
	cf := &clientFlags{g: &env.global} // no token, no purpose
	cmd.RunE = func(*cobra.Command, []string) error {
		body, _, err := cf.call(env, "GET", "/v1/keys", "", nil, false)
		if err != nil {
			return err
		}
		return env.emit(body)
	}
	return cmd
}

// newSubmitCmd: livcctl submit FILE, a signal encrypted here.
func newSubmitCmd(env *cliEnv) *cobra.Command {
	var armor, classic, quiet bool
	cmd := &cobra.Command{
		Use:   "submit FILE",
		Short: "encrypt a signal (JSON; - for standard input) to the broker here, and send it",
		Long: `Encrypt a signal (JSON; - for standard input) on this machine to the broker's
post-quantum hybrid age recipient (or with --x25519 its X25519 one), and send only the
envelope (POST /v1/signals). The answer is the signal's id.`,
		Args: exactArgs(1, "one FILE (a signal in JSON; - for standard input)"),
	}
	cf := env.client(cmd, broker.PurposeSignal)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sealed, err := sealFile(env, cf, args[0], !classic, armor)
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/signals", "application/age", sealed, true)
		if err != nil {
			return err
		}
		return env.emitID(body, quiet)
	}
	cmd.Flags().BoolVar(&armor, "armor", false, "send the envelope ASCII-armored")
	cmd.Flags().BoolVar(&classic, "x25519", false, "encrypt to the broker's X25519 recipient instead of its post-quantum one")
	quietFlag(cmd, &quiet, "the signal's id (the coordinator finds its person in the intake: livcctl signals)")
	return cmd
}

// quietFlag adds -q, --quiet: print only ids, one a line, what says which.
func quietFlag(cmd *cobra.Command, quiet *bool, what string) {
	cmd.Flags().BoolVarP(quiet, "quiet", "q", false, "print only "+what)
}

// emitID prints an answer {"id": …}: only the id with quiet.
func (env *cliEnv) emitID(body []byte, quiet bool) error {
	if !quiet {
		return env.emit(body)
	}
	var rc broker.Receipt
	if err := json.Unmarshal(body, &rc); err != nil {
		return err
	}
	_, err := fmt.Fprintln(env.stdout, rc.ID)
	return err
}

// sealFile reads a JSON file (- for standard input) and encrypts it to the
// broker's recipient.
func sealFile(env *cliEnv, cf *clientFlags, name string, pq, armor bool) ([]byte, error) {
	plaintext, err := readInput(env, name)
	if err != nil {
		return nil, err
	}
	if !json.Valid(plaintext) {
		return nil, fmt.Errorf("%s is not JSON", name)
	}
	recipient, err := brokerRecipient(env, cf, pq)
	if err != nil {
		return nil, err
	}
	return envelope.Seal([]string{recipient}, plaintext, armor)
}

// brokerRecipient fetches the broker's recipients and picks its
// post-quantum hybrid one (age1pq1…, ML-KEM-768 + X25519), or with pq false
// its X25519 one. It never falls back to the other kind: a broker that
// publishes no post-quantum recipient is an error, not a silent downgrade,
// and the user opts into X25519 with --x25519.
func brokerRecipient(env *cliEnv, cf *clientFlags, pq bool) (string, error) {
	body, _, err := cf.call(env, "GET", "/v1/keys", "", nil, false)
	if err != nil {
		return "", err
	}
	var keys broker.PublicKeys
	if err := json.Unmarshal(body, &keys); err != nil {
		return "", fmt.Errorf("the broker's keys: %w", err)
	}
	for _, r := range keys.Recipients {
		if strings.HasPrefix(r, "age1pq1") == pq {
			return r, nil
		}
	}
	if pq {
		return "", errors.New("the broker publishes no post-quantum (age1pq1) recipient; pass --x25519 to encrypt to its X25519 recipient instead")
	}
	return "", errors.New("the broker publishes no X25519 recipient; drop --x25519 to encrypt to its post-quantum one")
}

func readInput(env *cliEnv, name string) ([]byte, error) {
	if name == "-" {
		return readAllLimited(env.stdin)
	}
	return os.ReadFile(name)
}
