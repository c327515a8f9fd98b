package witness

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker/auditlog"
)

// A witness's signing key is kept in the form of a note signer key with the
// cosignature/v1 type: PRIVATE+KEY+<name>+<key hash>+base64(0x04 || Ed25519
// seed). Its verifier key, name+hash+base64(0x04 || public key), is what a
// cell's configuration and `livcctl audit verify --witness` take.

// GenerateKey returns a new witness signing key (skey) and its verifier
// key (vkey), named name, from the randomness of rand.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", "", err
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		return "", "", fmt.Errorf("witness: %w", err)
	}
	hash := auditlog.CosignatureKeyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, hash,
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, priv.Seed()...)))
	return skey, s.Verifier().String(), nil
}

// NewSigner returns the cosignature/v1 signer of a witness signing key
// (torchwood's, which stamps each cosignature with the time it signs).
func NewSigner(skey string) (note.Signer, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, errors.New("witness: not a witness signing key (PRIVATE+KEY+name+hash+key)")
	}
	name, hash16, key64 := parts[2], parts[3], parts[4]
	hash, err1 := strconv.ParseUint(hash16, 16, 32)
	key, err2 := base64.StdEncoding.Strict().DecodeString(key64)
	if err1 != nil || err2 != nil || len(hash16) != 8 || len(key) != 1+ed25519.SeedSize || key[0] != 0x04 {
		return nil, errors.New("witness: not a cosignature/v1 signing key")
	}
	priv := ed25519.NewKeyFromSeed(key[1:])
	if auditlog.CosignatureKeyHash(name, priv.Public().(ed25519.PublicKey)) != uint32(hash) {
		return nil, errors.New("witness: the signing key's hash does not match its name and key")
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	return s, nil
}
