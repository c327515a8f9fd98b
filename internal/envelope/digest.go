package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"

	"filippo.io/age/armor"

	"github.com/livc/livc-broker/broker"
)

// digestDomain separates the envelope digest from any other hash.
const digestDomain = "livc-broker/envelope-digest/v1\x00"

// Digest names an envelope by what only its author could have made: the
// MAC of its age header and its payload (the nonce and every sealed chunk),
// hashed with SHA-256, hex. The MAC is over the header as age re-encodes
// it, and the payload is authenticated chunk by chunk, so an envelope
// armored or not, or re-encoded in any way age still accepts, has the same
// digest, and no one without its file key can make another envelope with
// it. Digest only parses: call it on an envelope Open accepted. Input that
// is not an age file is ErrNotAge, malformed armor ErrArmor, a header
// without its MAC line ErrHeader.
func Digest(envelope []byte) (string, error) {
	bin := envelope
	switch {
	case isArmored(envelope):
		var err error
		if bin, err = io.ReadAll(armor.NewReader(bytes.NewReader(envelope))); err != nil {
			return "", refuse(broker.KindBadRequest, ErrArmor)
		}
	case !bytes.HasPrefix(envelope, binaryIntro):
		return "", refuse(broker.KindBadRequest, ErrNotAge)
	}
	// The MAC line is the first line of the header that starts with "---"
	// (a stanza's lines start with "->" or are base64, which has no '-').
	i := bytes.Index(bin, []byte("\n--- "))
	if i < 0 {
		return "", refuse(broker.KindBadRequest, ErrHeader)
	}
	line, payload, ok := bytes.Cut(bin[i+len("\n--- "):], []byte("\n"))
	mac, err := base64.RawStdEncoding.Strict().DecodeString(string(line))
	if !ok || err != nil || len(mac) != sha256.Size {
		return "", refuse(broker.KindBadRequest, ErrHeader)
	}
	h := sha256.New()
	h.Write([]byte(digestDomain))
	h.Write(mac)
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Digest is the package's Digest (broker.EnvelopeOpener).
func (o *Opener) Digest(envelope []byte) (string, error) { return Digest(envelope) }
