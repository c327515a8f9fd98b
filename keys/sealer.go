package keys

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Formats of wrapped data keys and sealed records. Both start with a version
// byte, so either can change later.
//
//	wrapped data key, version 2 (written):
//	    0x02 | KEK id (4) | epoch (4, big endian) | nonce (24) | XChaCha20-Poly1305(W, data key (32))
//	    W = HMAC-SHA256(KEK, domainWrapKey | epoch | E_epoch): it needs both
//	    the KEK and the epoch key (epoch.go), so destroying either destroys it
//	    additional data: domainWrap2 | header (9)
//	wrapped data key, version 1 (read only, re-wrapped by Rewrap):
//	    0x01 | KEK id (4) | nonce (24) | XChaCha20-Poly1305(KEK, data key (32))
//	    additional data: domainWrap | 0x01 | KEK id
//	sealed record:    0x01 | nonce (24) | XChaCha20-Poly1305(data key, plaintext)
//	                  additional data: 0x01 | caller's additional data
const (
	wrapVersion   = 1
	wrapVersion2  = 2
	recordVersion = 1
	domainWrap    = "livc-broker/data-key/v1"
	domainWrap2   = "livc-broker/data-key/v2"
	domainWrapKey = "livc-broker/wrap-key/v2"
	nonceSize     = chacha20poly1305.NonceSizeX
	overhead      = chacha20poly1305.Overhead
	wrappedSize   = 1 + 4 + nonceSize + secretSize + overhead
	header2Size   = 1 + 4 + 4
	wrappedSize2  = header2Size + nonceSize + secretSize + overhead
)

// Errors of the Sealer. They say what is wrong, never a key or plaintext.
var (
	ErrWrappedKey = errors.New("keys: invalid or tampered wrapped data key")
	ErrUnknownKEK = errors.New("keys: wrapped data key is for an unknown key-encryption key")
	ErrSealed     = errors.New("keys: sealed record is tampered, truncated, or not for this key and additional data")
)

// NewDataKey returns a fresh random 32-byte data key, wrapped under the
// current key-encryption key and the current epoch. It first reads epoch.key
// again (catchUpEpoch): another process sharing the key directory may have
// started a newer epoch and destroyed this one, and a data key wrapped
// under a destroyed epoch could never be opened. It also adopts a newer KEK
// another process wrote (catchUpKEK), so that no new data key is wrapped
// under a KEK a rotation is retiring.
func (kr *Keyring) NewDataKey() ([]byte, error) {
	if err := kr.catchUpEpoch(); err != nil {
		return nil, err
	}
	if err := kr.catchUpKEK(); err != nil {
		return nil, err
	}
	dk := make([]byte, secretSize)
	rand.Read(dk)
	defer clear(dk)
	kr.mu.RLock()
	kek, epoch := kr.kekID, kr.epoch.current
	kr.mu.RUnlock()
	return kr.wrap(dk, kek, epoch)
}

// wrap wraps dk in format 2 under kek and epoch.
func (kr *Keyring) wrap(dk []byte, kek [4]byte, epoch uint32) ([]byte, error) {
	w, err := kr.wrapAEAD(kek, epoch)
	if err != nil {
		return nil, err
	}
	out := make([]byte, header2Size+nonceSize, wrappedSize2)
	out[0] = wrapVersion2
	copy(out[1:5], kek[:])
	binary.BigEndian.PutUint32(out[5:9], epoch)
	rand.Read(out[header2Size:])
	return w.Seal(out, out[header2Size:], dk, wrapAD2(out[:header2Size])), nil
}

func wrapAD2(header []byte) []byte {
	return append([]byte(domainWrap2), header...)
}

// wrapAEAD derives the wrapping key of kek and epoch.
func (kr *Keyring) wrapAEAD(kek [4]byte, epoch uint32) (cipher.AEAD, error) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	kk, ok := kr.keks[kek]
	if !ok {
		return nil, ErrUnknownKEK
	}
	ek, ok := kr.epochKey(epoch)
	if !ok {
		return nil, ErrEpochDestroyed
	}
	m := hmac.New(sha256.New, kk)
	m.Write([]byte(domainWrapKey))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], epoch)
	m.Write(n[:])
	m.Write(ek)
	return chacha20poly1305.NewX(m.Sum(nil))
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
	open, err := kr.Opener(wrapped)
	if err != nil {
		return nil, err
	}
	return open(additional, sealed)
}

// Opener returns Open bound to the data key wrapped unwraps, looked up once:
// a card opens every record of one person, all under one data key. It fails
// as Open does for a wrong or tampered wrapped key; the function it returns
// fails as Open does for a record.
func (kr *Keyring) Opener(wrapped []byte) (func(additional, sealed []byte) ([]byte, error), error) {
	aead, err := kr.dataKey(wrapped)
	if err != nil {
		return nil, err
	}
	return func(additional, sealed []byte) ([]byte, error) {
		if len(sealed) < 1+nonceSize+overhead || sealed[0] != recordVersion {
			return nil, ErrSealed
		}
		plain, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], recordAD(additional))
		if err != nil {
			return nil, ErrSealed
		}
		return plain, nil
	}, nil
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
	dk, info, err := kr.unwrap(wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	aead, err := chacha20poly1305.NewX(dk)
	if err != nil {
		return nil, fmt.Errorf("keys: data key: %w", err)
	}
	kr.cache.put(k, aead, info.Epoch)
	return aead, nil
}

// WrapInfo tells what a wrapped data key is wrapped under.
type WrapInfo struct {
	Version int
	KEK     string // 8 hex digits
	Epoch   uint32 // 0 for version 1
}

// Inspect returns what wrapped says it is wrapped under, without unwrapping
// it. It refuses a malformed one.
func Inspect(wrapped []byte) (WrapInfo, error) {
	switch {
	case len(wrapped) == wrappedSize2 && wrapped[0] == wrapVersion2:
		return WrapInfo{Version: 2, KEK: hex.EncodeToString(wrapped[1:5]), Epoch: binary.BigEndian.Uint32(wrapped[5:9])}, nil
	case len(wrapped) == wrappedSize && wrapped[0] == wrapVersion:
		return WrapInfo{Version: 1, KEK: hex.EncodeToString(wrapped[1:5])}, nil
	}
	return WrapInfo{}, ErrWrappedKey
}

// unwrap returns the raw data key of wrapped and what it was wrapped under.
// A KEK it does not know may be one another process has just added (`keys
// rotate` re-wraps under the new KEK while this one serves): it reads the key
// directory again, single-flight and rate-limited (reload.go), and tries
// once more. A KEK still unknown after that is ErrUnknownKEK.
func (kr *Keyring) unwrap(wrapped []byte) ([]byte, WrapInfo, error) {
	mark := kr.ReloadMark()
	dk, info, err := kr.unwrapLoaded(wrapped)
	if !errors.Is(err, ErrUnknownKEK) {
		return dk, info, err
	}
	if rerr := kr.ReloadAfter(mark); rerr != nil {
		return nil, info, fmt.Errorf("%w (reading the key directory again: %w)", ErrUnknownKEK, rerr)
	}
	return kr.unwrapLoaded(wrapped)
}

// unwrapLoaded is unwrap with the keys loaded now.
func (kr *Keyring) unwrapLoaded(wrapped []byte) ([]byte, WrapInfo, error) {
	info, err := Inspect(wrapped)
	if err != nil {
		return nil, info, err
	}
	kek := [4]byte(wrapped[1:5])
	if info.Version == 1 {
		kr.mu.RLock()
		kk, ok := kr.keks[kek]
		kr.mu.RUnlock()
		if !ok {
			return nil, info, ErrUnknownKEK
		}
		aead, err := chacha20poly1305.NewX(kk)
		if err != nil {
			return nil, info, err
		}
		header, nonce, ct := wrapped[:5], wrapped[5:5+nonceSize], wrapped[5+nonceSize:]
		dk, err := aead.Open(nil, nonce, ct, append([]byte(domainWrap), header...))
		if err != nil {
			return nil, info, ErrWrappedKey
		}
		return dk, info, nil
	}
	w, err := kr.wrapAEAD(kek, info.Epoch)
	if err != nil {
		return nil, info, err
	}
	header, nonce, ct := wrapped[:header2Size], wrapped[header2Size:header2Size+nonceSize], wrapped[header2Size+nonceSize:]
	dk, err := w.Open(nil, nonce, ct, wrapAD2(header))
	if err != nil {
		return nil, info, ErrWrappedKey
	}
	return dk, info, nil
}

// Rewrap returns wrapped re-wrapped under the current KEK and the current
// epoch (or its own epoch, if that is later: a re-wrap never moves a key to
// an older epoch, which another process may be destroying), and whether
// that changed anything. The data key itself does not change, so records
// sealed under it stay as they are. It fails, and changes nothing, for a
// wrapped key that does not unwrap.
func (kr *Keyring) Rewrap(wrapped []byte) ([]byte, bool, error) {
	info, err := Inspect(wrapped)
	if err != nil {
		return nil, false, err
	}
	if kek, epoch := kr.wrapTarget(info); isWrappedUnder(wrapped, info, kek, epoch) {
		return wrapped, false, nil
	}
	dk, _, err := kr.unwrap(wrapped)
	if err != nil {
		return nil, false, err
	}
	defer clear(dk)
	// The target is read again: unwrapping may have adopted a newer KEK from
	// disk, and a re-wrap must never move a key back to an older one.
	kek, epoch := kr.wrapTarget(info)
	if isWrappedUnder(wrapped, info, kek, epoch) {
		return wrapped, false, nil
	}
	out, err := kr.wrap(dk, kek, epoch)
	return out, err == nil, err
}

// wrapTarget is what Rewrap wraps a key of info under: the current KEK and
// the current epoch, or the key's own epoch if that is later.
func (kr *Keyring) wrapTarget(info WrapInfo) ([4]byte, uint32) {
	kr.mu.RLock()
	kek, epoch := kr.kekID, kr.epoch.current
	kr.mu.RUnlock()
	return kek, max(epoch, info.Epoch)
}

func isWrappedUnder(wrapped []byte, info WrapInfo, kek [4]byte, epoch uint32) bool {
	return info.Version == wrapVersion2 && [4]byte(wrapped[1:5]) == kek && info.Epoch == epoch
}
