package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures, C2SP tlog-cosignature (cosignature/v1): a witness
// signs, with Ed25519, "cosignature/v1\ntime <unix seconds>\n" followed by
// the checkpoint body, and adds the signature to the checkpoint's note as
// one more signature line, keyed by its own name and key hash. The key hash
// is the first four bytes of SHA-256(name || "\n" || 0x04 || public key);
// the signature bytes are the 8-byte big-endian timestamp then the 64-byte
// Ed25519 signature.
//
// golang.org/x/mod/sumdb/note knows only Ed25519 note keys (type 0x01), and
// filippo.io/torchwood v0.6.1 has a cosignature signer but no verifier from
// a verifier key, so the verifier is here; its tests check it against
// torchwood's signer.

// algCosignatureV1 is the signature type byte of a cosignature/v1 key.
const algCosignatureV1 = 0x04

// cosignatureSize is the size of a cosignature: timestamp and signature.
const cosignatureSize = 8 + ed25519.SignatureSize

// CosignatureVerifier verifies one witness's cosignatures. It is a
// note.Verifier, so note.Open checks cosignature lines with it.
type CosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

// Name implements note.Verifier: the witness's name.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash implements note.Verifier.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// Verify implements note.Verifier: sig is a cosignature/v1 of the note text
// msg.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != cosignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	return ed25519.Verify(v.key, CosignedMessage(t, msg), sig[8:])
}

// String returns the verifier key, name+hash+base64(0x04 || public key).
func (v *CosignatureVerifier) String() string {
	return fmt.Sprintf("%s+%08x+%s", v.name, v.hash,
		base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, v.key...)))
}

// CosignedMessage is what a cosignature/v1 of the checkpoint body text at
// unix time t signs.
func CosignedMessage(t uint64, text []byte) []byte {
	return append(fmt.Appendf(nil, "cosignature/v1\ntime %d\n", t), text...)
}

// CosignatureKeyHash is the key hash of a witness named name with Ed25519
// public key pub.
func CosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(append([]byte{algCosignatureV1}, pub...))
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewCosignatureVerifier parses a witness's verifier key. It refuses a key
// of another type than cosignature/v1 (0x04), a malformed name, and a key
// hash that does not match the name and key.
func NewCosignatureVerifier(vkey string) (*CosignatureVerifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validKeyName(name) || len(hash16) != 8 {
		return nil, errors.New("auditlog: witness key: not name+hash+key")
	}
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return nil, errors.New("auditlog: witness key: bad key hash")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize {
		return nil, errors.New("auditlog: witness key: bad key")
	}
	if key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("auditlog: witness key: type %#x, not a cosignature/v1 key (0x04)", key[0])
	}
	v := &CosignatureVerifier{name: name, hash: uint32(hash), key: ed25519.PublicKey(key[1:])}
	if CosignatureKeyHash(name, v.key) != v.hash {
		return nil, errors.New("auditlog: witness key: the key hash does not match the name and key")
	}
	return v, nil
}

// validKeyName is the note rule for key names: not empty, no space, no '+'.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// Cosignatures returns, of the signature lines of signed (a checkpoint note
// signed by the log's key v), those of a witness in ws that verify, by
// witness name, and the names of the witnesses in ws whose line is there but
// does not verify. A note the log's key does not verify has none.
func Cosignatures(signed []byte, v note.Verifier, ws []note.Verifier) (valid map[string]string, invalid []string) {
	valid = map[string]string{}
	text, sigs, ok := splitNote(signed)
	if !ok {
		return valid, nil
	}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		return valid, nil
	}
	for _, line := range sigs {
		for _, w := range ws {
			if !isLineOf(line, w) {
				continue
			}
			msg := append(append(append([]byte{}, text...), '\n'), line...)
			if n, err := note.Open(msg, note.VerifierList(w)); err == nil && len(n.Sigs) == 1 {
				valid[w.Name()] = string(line)
			} else {
				invalid = append(invalid, w.Name())
			}
		}
	}
	// A witness with a valid line is not also invalid; each name once.
	invalid = slices.DeleteFunc(invalid, func(n string) bool { _, ok := valid[n]; return ok })
	slices.Sort(invalid)
	return valid, slices.Compact(invalid)
}

// isLineOf reports whether a signature line names w and carries its key
// hash.
func isLineOf(line []byte, w note.Verifier) bool {
	prefix := "— " + w.Name() + " "
	if !bytes.HasPrefix(line, []byte(prefix)) {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(line[len(prefix):]), "\n"))
	return err == nil && len(b) >= 4 && binary.BigEndian.Uint32(b) == w.KeyHash()
}

// splitNote splits a note into its text (through the blank line's first
// newline) and its signature lines (each with its newline).
func splitNote(signed []byte) (text []byte, sigs [][]byte, ok bool) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 || !bytes.HasSuffix(signed, []byte("\n")) {
		return nil, nil, false
	}
	text = signed[:i+1]
	for rest := signed[i+2:]; len(rest) > 0; {
		j := bytes.IndexByte(rest, '\n')
		sigs = append(sigs, rest[:j+1])
		rest = rest[j+1:]
	}
	return text, sigs, true
}

// WithSignatures returns the note signed with the signature lines added
// (each "— name base64\n"), skipping any already there.
func WithSignatures(signed []byte, lines []string) []byte {
	out := append([]byte{}, signed...)
	for _, l := range lines {
		if !strings.HasSuffix(l, "\n") || strings.Count(l, "\n") != 1 || bytes.Contains(out, []byte(l)) {
			continue
		}
		out = append(out, l...)
	}
	return out
}
