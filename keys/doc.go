// Package keys holds the broker's key material and the cryptography built on
// it: the age identities that open client envelopes, the keyed pseudonyms of
// persons, the envelope encryption of records at rest, and the key that signs
// audit checkpoints.
//
// # Key directory
//
// A key directory (--keys, LIVC_KEYS) holds these files, each mode 0600 and
// owned by the broker; Load refuses any (the epoch, KEK and retired
// identity files included) that another uid owns or that group or others
// may read or write, and a directory that group or others may write. Lines starting
// with "#" are comments. Create writes them once and never overwrites.
//
//	age-x25519.key   an age X25519 identity, as age-keygen writes one; its
//	                 recipient age1… is published by GET /v1/keys.
//	age-pq.key       an age hybrid ML-KEM-768+X25519 identity, as
//	                 age-keygen -pq writes one; recipient age1pq1….
//	pseudonym.key    "LIVC-PSEUDONYM-KEY-1 <id> <key>": the 32-byte HMAC
//	                 secret of every alias and subject ref. Losing or changing
//	                 it unlinks every person from their records.
//	kek.key          "LIVC-KEK-1 <id> <key>": the 32-byte key-encryption key
//	                 that wraps the data keys of persons. Its id travels in
//	                 every wrapped data key. A rotation (RotateKEK) adds
//	                 kek-2.key, kek-3.key, …: the highest generation wraps new
//	                 keys, every one present unwraps; see kek.go. A
//	                 Keyring that meets a KEK written after it loaded
//	                 reads the directory again at once (reload.go).
//	epoch.key        "LIVC-EPOCH-1 <id> <key> <oldest> <current> <started>":
//	                 the key of the oldest live key epoch, from which later
//	                 ones are derived; created on first load. See epoch.go:
//	                 it is what makes an erasure reach old copies of Redis.
//	age-*.retired-<unix>.key
//	                 age identities retired by RotateIdentities, still
//	                 accepted until that time (retired.go).
//	checkpoint.key   a golang.org/x/mod/sumdb/note Ed25519 signer key,
//	                 "PRIVATE+KEY+livc-broker+<hash>+<key>", that signs audit
//	                 checkpoints; its verifier key is published by GET /v1/keys.
//
// In the LIVC lines <key> is the unpadded base64url encoding of 32 bytes and
// <id> is 8 hex digits: the first 4 bytes of SHA-256(label, key). The id is
// both a check (a damaged key no longer matches it, and Load refuses the
// file) and the key's name in wrapped data keys.
//
// No function of this package logs, and no error it returns quotes key
// material. A Keyring formats as "keys.Keyring{…}" under fmt; under slog it
// shows only its public keys and KEK id.
package keys
