package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// A person's card, lookup, observations and erasure: livcctl card, lookup,
// observe, erase.

// newCardCmd: livcctl card REF, optionally asked sealed to the caller's
// actor and decrypted here.
func newCardCmd(env *cliEnv) *cobra.Command {
	var idFile string
	cmd := &cobra.Command{
		Use:   "card REF",
		Short: "read the information card of a person (GET /v1/subjects/REF/card)",
		Long: `Read the information card of a person by subject ref (s_…).

With --decrypt-with, the card is asked encrypted with age to the recipients of the
caller's actor in the cell's configuration (Accept: application/age) and decrypted here
with the identity in IDENTITY_FILE: the answer crosses proxies and logs sealed. A broker without a
recipient for the actor answers 406.`,
		Args: exactArgs(1, "one REF (a subject ref, s_…)"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		path := "/v1/subjects/" + url.PathEscape(args[0]) + "/card"
		if idFile == "" {
			return cf.get(env, path)
		}
		ids, err := readIdentities(idFile)
		if err != nil {
			return err
		}
		sealed, _, err := cf.do(env, request{method: "GET", path: path, accept: "application/age"})
		if err != nil {
			return err
		}
		plain, err := openAnswer(sealed, ids)
		if err != nil {
			return err
		}
		return env.emit(plain)
	}
	cmd.Flags().StringVar(&idFile, "decrypt-with", "", "ask for the card encrypted to your actor's age recipient and decrypt it with the identity in `IDENTITY_FILE`")
	return cmd
}

// readIdentities reads the age identities of a file (livcctl keygen
// --write).
func readIdentities(name string) ([]age.Identity, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("%s: no age identity: %w", name, err)
	}
	return ids, nil
}

// openAnswer decrypts an age answer (binary or armored) with ids.
func openAnswer(sealed []byte, ids []age.Identity) ([]byte, error) {
	var in io.Reader = bytes.NewReader(sealed)
	if bytes.HasPrefix(sealed, []byte(armor.Header)) {
		in = armor.NewReader(in)
	}
	r, err := age.Decrypt(in, ids...)
	if err != nil {
		return nil, fmt.Errorf("the answer does not open with that identity: %w", err)
	}
	return readAllLimited(r)
}

// newLookupCmd: livcctl lookup FILE, hit or no-hit of an identity sent
// encrypted (POST /v1/subjects/lookup).
func newLookupCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lookup FILE",
		Short: "does the broker know a person? an identity (JSON) sent encrypted; answers the ref and known",
		Long: `Ask whether the broker knows a person (POST /v1/subjects/lookup): the identity in FILE
(JSON: national_number, or family_name, given_name and birth_date; or {"subject": …}; - for
standard input) is encrypted here to the broker's post-quantum recipient. The answer is the
person's subject_ref and known (a no-hit's ref names nobody). Audited and rate-limited.`,
		Args: exactArgs(1, "one FILE (an identity in JSON; - for standard input)"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sealed, err := sealIdentity(env, cf, args[0])
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/subjects/lookup", "application/age", sealed, true)
		if err != nil {
			return err
		}
		return env.emit(body)
	}
	return cmd
}

// newObserveCmd: livcctl observe REF FILE, an observation encrypted here.
func newObserveCmd(env *cliEnv) *cobra.Command {
	var classic, quiet bool
	cmd := &cobra.Command{
		Use:   "observe REF FILE",
		Short: "add an observation about a known person, encrypted here (POST /v1/subjects/REF/observations)",
		Long: `Add an observation about a known person: FILE (JSON {"fields": {...}, "observed_at": ...},
catalogue fields but identity; - for standard input) is encrypted here to the broker's
recipient and sent. The answer is the observation's id; an unknown or erased person is
the uniform 404.`,
		Args: exactArgs(2, "a REF (a subject ref, s_…) and a FILE (the observation in JSON)"),
	}
	cf := env.client(cmd, broker.PurposeSignal)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sealed, err := sealFile(env, cf, args[1], !classic, false)
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/subjects/"+url.PathEscape(args[0])+"/observations", "application/age", sealed, true)
		if err != nil {
			return err
		}
		return env.emitID(body, quiet)
	}
	cmd.Flags().BoolVar(&classic, "x25519", false, "encrypt to the broker's X25519 recipient instead of its post-quantum one")
	quietFlag(cmd, &quiet, "the observation's id")
	return cmd
}

// newEraseCmd: livcctl erase REF, crypto-shred a person.
func newEraseCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "erase REF",
		Short: "erase a person: their key, records and links are destroyed (DELETE /v1/subjects/REF)",
		Long: `Erase a person (DELETE /v1/subjects/REF): the coordinator under case_conference, or the
privacy officer with --purpose audit_review. Their data key, records and alias links are
destroyed; nothing of them can be read again. Prints "REF erased".`,
		Args: exactArgs(1, "one REF (a subject ref, s_…)"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if _, _, err := cf.call(env, "DELETE", "/v1/subjects/"+url.PathEscape(args[0]), "", nil, true); err != nil {
			return err
		}
		_, err := fmt.Fprintln(env.stdout, args[0], "erased")
		return err
	}
	return cmd
}
