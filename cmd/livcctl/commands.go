package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/envelope"
	"github.com/livc/livc-broker/internal/token"
)

func cmdDev(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg := fs.String("config", "", "the cell's configuration `FILE`; default the embedded demo cell")
	dir := fs.String("dir", filepath.Join(envOr("LIVC_DATA", ".livc"), "dev"), "`DIR` to write the signing key, jwks.json and tokens/ to")
	issuer := fs.String("issuer", envOr("LIVC_ISSUER", "livc-dev"), "`iss` of the tokens")
	audience := fs.String("audience", envOr("LIVC_AUDIENCE", "livc-broker"), "`aud` of the tokens")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime of the tokens; a broker refuses one longer than its --max-token-lifetime (12h by default)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	cell := config.Demo()
	if *cfg != "" {
		c, _, err := config.Load(*cfg)
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
	if err := token.WriteDevSet(*dir, cell.ID, actors, *issuer, *audience, *ttl); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s and a token per actor of cell %s in %s\n",
		token.DevJWKSPath(*dir), cell.ID, filepath.Join(*dir, "tokens"))
	fmt.Fprintf(env.stdout, "use one: export LIVC_TOKEN=$(cat %s)\n", filepath.Join(*dir, "tokens", actors[0]+".jwt"))
	fmt.Fprintln(env.stderr, "[INSECURE] these are development keys and tokens: never use them in production")
	return nil
}

func cmdKeygen(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("o", "", "write the identity to `FILE` (mode 0600; refuses to overwrite); default standard output")
	pq := fs.Bool("pq", true, "make a post-quantum hybrid identity (age1pq1…); -pq=false for X25519")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	var secret, recipient string
	if *pq {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return err
		}
		secret, recipient = id.String(), id.Recipient().String()
	} else {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return err
		}
		secret, recipient = id.String(), id.Recipient().String()
	}
	text := fmt.Sprintf("# created: %s\n# recipient: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), recipient, secret)
	if *out == "" {
		fmt.Fprint(env.stdout, text)
		return nil
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, recipient)
	return nil
}

func cmdSubmit(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeSignal)
	armor := fs.Bool("armor", false, "send the envelope ASCII-armored")
	classic := fs.Bool("x25519", false, "encrypt to the broker's X25519 recipient instead of its post-quantum one")
	quiet := fs.Bool("q", false, "print only the signal id (the coordinator finds its person in the intake: livcctl signals)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("submit takes one FILE (a signal in JSON; - for standard input)")}
	}
	plaintext, err := readInput(env, fs.Arg(0))
	if err != nil {
		return err
	}
	if !json.Valid(plaintext) {
		return fmt.Errorf("%s is not JSON", fs.Arg(0))
	}
	recipient, err := brokerRecipient(env, &cf, !*classic)
	if err != nil {
		return err
	}
	sealed, err := envelope.Seal([]string{recipient}, plaintext, *armor)
	if err != nil {
		return err
	}
	body, _, err := cf.call(env, "POST", "/v1/signals", "application/age", sealed, true)
	if err != nil {
		return err
	}
	if *quiet {
		var rc broker.Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.stdout, rc.ID)
		return err
	}
	return printJSON(env.stdout, body)
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

func cmdCard(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("card", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("card takes one REF (a subject ref, s_…)")}
	}
	body, _, err := cf.call(env, "GET", "/v1/subjects/"+url.PathEscape(fs.Arg(0))+"/card", "", nil, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, body)
}
