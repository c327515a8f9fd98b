package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Recipient string prefixes. The hybrid prefix also starts with the X25519
// one, so it is tested first.
const (
	prefixHybrid = "age1pq1"
	prefixX25519 = "age1"
)

// ErrMixedRecipients is returned by Seal for a list that mixes post-quantum
// (age1pq1…) and classic (age1…) recipients: age refuses it, as the envelope
// would then be no stronger than its classic recipients. A party that
// publishes both kinds (GET /v1/keys) is encrypted to its post-quantum ones.
var ErrMixedRecipients = errors.New("cannot mix post-quantum and classic age recipients")

// Seal encrypts plaintext to every one of recipients, each an X25519
// ("age1…") or a hybrid post-quantum ("age1pq1…") recipient string, and
// returns a binary age file, or an ASCII-armored one when armored is true.
// It refuses an empty list, a malformed recipient (named by its position,
// not echoed) and a list mixing both kinds (ErrMixedRecipients).
func Seal(recipients []string, plaintext []byte, armored bool) ([]byte, error) {
	rs, err := ParseRecipients(recipients)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	dst, closeArmor := writerFor(&out, armored)
	w, err := age.Encrypt(dst, rs...)
	if err != nil {
		return nil, fmt.Errorf("envelope: encrypt: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("envelope: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("envelope: encrypt: %w", err)
	}
	if err := closeArmor(); err != nil {
		return nil, fmt.Errorf("envelope: armor: %w", err)
	}
	return out.Bytes(), nil
}

func writerFor(out *bytes.Buffer, armored bool) (dst io.Writer, closeFn func() error) {
	if !armored {
		return out, func() error { return nil }
	}
	aw := armor.NewWriter(out)
	return aw, aw.Close
}

// ParseRecipients parses recipient strings, X25519 or hybrid, surrounding
// spaces ignored. It refuses an empty list, an unknown or malformed
// recipient, and a list mixing both kinds.
func ParseRecipients(recipients []string) ([]age.Recipient, error) {
	if len(recipients) == 0 {
		return nil, errors.New("envelope: no recipients")
	}
	rs := make([]age.Recipient, 0, len(recipients))
	var hybrid, classic int
	for i, s := range recipients {
		r, pq, err := parseRecipient(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("envelope: recipient #%d: %w", i+1, err)
		}
		if pq {
			hybrid++
		} else {
			classic++
		}
		rs = append(rs, r)
	}
	if hybrid > 0 && classic > 0 {
		return nil, ErrMixedRecipients
	}
	return rs, nil
}

func parseRecipient(s string) (age.Recipient, bool, error) {
	switch {
	case strings.HasPrefix(s, prefixHybrid):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, true, errors.New("malformed post-quantum recipient")
		}
		return r, true, nil
	case strings.HasPrefix(s, prefixX25519):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, false, errors.New("malformed X25519 recipient")
		}
		return r, false, nil
	default:
		// Could be a secret key pasted by mistake: never echo it.
		return nil, false, errors.New("unknown recipient type")
	}
}
