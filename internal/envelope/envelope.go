// Package envelope opens and seals age envelopes: the encrypted bodies that
// clients send to the broker (signals, observations, lookups) and the answers
// the broker returns under Accept: application/age.
//
// An envelope is an age file, binary or ASCII-armored ("-----BEGIN AGE
// ENCRYPTED FILE-----"). Opening authenticates every byte before returning
// any: the header MAC, every payload chunk, the final-chunk marker and the
// absence of trailing data. Errors carry a short fixed reason and never the
// envelope's bytes or an age error text, which could quote client input.
package envelope

import (
	"bytes"
	"errors"
	"io"
	"math"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/livc/livc-broker/broker"
)

// The reasons Open refuses an envelope. Open returns them wrapped in a
// *broker.Error, so test with errors.Is. Their texts are safe to show to a
// client.
var (
	ErrNotAge    = errors.New("not an age envelope")
	ErrArmor     = errors.New("malformed age armor")
	ErrHeader    = errors.New("malformed, tampered or truncated age header")
	ErrRecipient = errors.New("envelope not encrypted to this broker")
	ErrPayload   = errors.New("age payload tampered, truncated or followed by trailing data")
	ErrTooLarge  = errors.New("envelope plaintext over the size limit")
	ErrLimit     = errors.New("invalid plaintext size limit")
)

// binaryIntro is the first bytes of every binary age file, of any version.
var binaryIntro = []byte("age-encryption.org/")

// Opener decrypts envelopes addressed to any of its identities. It is
// immutable and safe for concurrent use. It implements broker.EnvelopeOpener.
type Opener struct {
	ids []age.Identity
}

var _ broker.EnvelopeOpener = (*Opener)(nil)

// NewOpener returns an Opener that tries each of ids. With no identity, every
// Open fails with ErrRecipient.
func NewOpener(ids ...age.Identity) *Opener {
	return &Opener{ids: append([]age.Identity(nil), ids...)}
}

// Open decrypts envelope, binary or armored, and returns its plaintext of at
// most limit bytes. It reads at most limit+1 plaintext bytes, so an oversized
// payload costs no more than the limit. It returns nil and an error wrapping
// one of the Err* reasons for: input that is not age, malformed armor or
// trailing data after it, an envelope for other recipients, a tampered header
// or payload, a truncated payload, or plaintext over limit. The error is a
// *broker.Error of kind KindTooLarge for an oversized plaintext and
// KindBadRequest otherwise.
func (o *Opener) Open(envelope []byte, limit int64) ([]byte, error) {
	if limit < 0 {
		return nil, refuse(broker.KindInternal, ErrLimit)
	}
	var src io.Reader
	switch {
	case isArmored(envelope):
		src = armor.NewReader(bytes.NewReader(envelope))
	case bytes.HasPrefix(envelope, binaryIntro):
		src = bytes.NewReader(envelope)
	default:
		return nil, refuse(broker.KindBadRequest, ErrNotAge)
	}
	if len(o.ids) == 0 {
		return nil, refuse(broker.KindBadRequest, ErrRecipient)
	}
	r, err := age.Decrypt(src, o.ids...)
	if err != nil {
		return nil, refuse(broker.KindBadRequest, classify(err, ErrHeader))
	}
	plain, err := readLimited(r, limit)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, refuse(broker.KindTooLarge, ErrTooLarge)
		}
		return nil, refuse(broker.KindBadRequest, classify(err, ErrPayload))
	}
	return plain, nil
}

// readLimited reads r to its end, failing with ErrTooLarge once more than
// limit bytes come out. Reading to EOF matters: only then has age checked the
// final-chunk marker and that nothing follows it.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	plain, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(plain)) > limit {
		return nil, ErrTooLarge
	}
	return plain, nil
}

// isArmored reports whether b starts, after the whitespace the armor format
// allows, with the armor header line.
func isArmored(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte(armor.Header))
}

// classify maps an age or armor error to one of the fixed reasons, fallback
// for any error age does not type. The age error itself is dropped: its text
// may quote bytes of the envelope.
func classify(err, fallback error) error {
	var armorErr *armor.Error
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &armorErr):
		return ErrArmor
	case errors.As(err, &noMatch):
		return ErrRecipient
	default:
		return fallback
	}
}

func refuse(kind broker.Kind, reason error) error {
	return &broker.Error{Kind: kind, Detail: reason.Error(), Err: reason}
}
