package keys

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Formats of wrapped data keys and sealed records. Both start with a version
// byte, so either can change later.
//
//	wrapped data key: 0x01 | KEK id (4) | nonce (24) | XChaCha20-Poly1305(KEK, data key (32))
//	                  additional data: domainWrap | 0x01 | KEK id
//	sealed record:    0x01 | nonce (24) | XChaCha20-Poly1305(data key, plaintext)
//	                  additional data: 0x01 | caller's additional data
const (
	wrapVersion   = 1
	recordVersion = 1
	domainWrap    = "livc-broker/data-key/v1"
	nonceSize     = chacha20poly1305.NonceSizeX
	overhead      = chacha20poly1305.Overhead
	wrappedSize   = 1 + 4 + nonceSize + secretSize + overhead
)

// Errors of the Sealer. They say what is wrong, never a key or plaintext.
var (
	ErrWrappedKey = errors.New("keys: invalid or tampered wrapped data key")
	ErrUnknownKEK = errors.New("keys: wrapped data key is for an unknown key-encryption key")
	ErrSealed     = errors.New("keys: sealed record is tampered, truncated, or not for this key and additional data")
)

// NewDataKey returns a fresh random 32-byte data key, wrapped under the
// current key-encryption key. The wrapped form names the KEK by id.
func (kr *Keyring) NewDataKey() ([]byte, error) {
	dk := make([]byte, secretSize)
	rand.Read(dk)
	header := []byte{wrapVersion, kr.kekID[0], kr.kekID[1], kr.kekID[2], kr.kekID[3]}
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	out := make([]byte, 0, wrappedSize)
	out = append(append(out, header...), nonce...)
	out = kr.keks[kr.kekID].Seal(out, nonce, dk, wrapAD(header))
	clear(dk)
	return out, nil
}

func wrapAD(header []byte) []byte {
	return append([]byte(domainWrap), header...)
}

// Seal encrypts plaintext under the data key that wrapped wraps, bound to
// additional, with a fresh random nonce. It fails if wrapped does not unwrap.
func (kr *Keyring) Seal(wrapped, additional, plaintext []byte) ([]byte, error) {
	aead, err := kr.dataKey(wrapped)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+overhead)
	out[0] = recordVersion
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], plaintext, recordAD(additional)), nil
}

// Open decrypts what Seal sealed under wrapped with the same additional
// data. A wrong or tampered wrapped key, a tampered or truncated record, or
// different additional data is an error, and no plaintext is returned.
func (kr *Keyring) Open(wrapped, additional, sealed []byte) ([]byte, error) {
	aead, err := kr.dataKey(wrapped)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+nonceSize+overhead || sealed[0] != recordVersion {
		return nil, ErrSealed
	}
	plain, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], recordAD(additional))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

func recordAD(additional []byte) []byte {
	return append([]byte{recordVersion}, additional...)
}

// Forget drops the unwrapped form of wrapped from memory, for when the
// person's data key is erased: their records are then unreadable at once,
// not only after the cache TTL.
func (kr *Keyring) Forget(wrapped []byte) {
	kr.cache.forget(sha256.Sum256(wrapped))
}

// dataKey returns the AEAD of the data key wrapped, from the cache or by
// unwrapping it (and caching it).
func (kr *Keyring) dataKey(wrapped []byte) (cipher.AEAD, error) {
	k := sha256.Sum256(wrapped)
	if aead, ok := kr.cache.get(k); ok {
		return aead, nil
	}
	aead, err := kr.unwrap(wrapped)
	if err != nil {
		return nil, err
	}
	kr.cache.put(k, aead)
	return aead, nil
}

func (kr *Keyring) unwrap(wrapped []byte) (cipher.AEAD, error) {
	if len(wrapped) != wrappedSize || wrapped[0] != wrapVersion {
		return nil, ErrWrappedKey
	}
	kek, ok := kr.keks[[4]byte(wrapped[1:5])]
	if !ok {
		return nil, ErrUnknownKEK
	}
	header, nonce, ct := wrapped[:5], wrapped[5:5+nonceSize], wrapped[5+nonceSize:]
	dk, err := kek.Open(nil, nonce, ct, wrapAD(header))
	if err != nil {
		return nil, ErrWrappedKey
	}
	defer clear(dk)
	aead, err := chacha20poly1305.NewX(dk)
	if err != nil {
		return nil, fmt.Errorf("keys: data key: %w", err)
	}
	return aead, nil
}
