package broker

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix_ followed by 26 characters of base32 over 128 random
// bits: unguessable, so an id reveals nothing and cannot be enumerated.
func NewID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("broker: crypto/rand failed: " + err.Error()) // never returns an error on supported platforms
	}
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// NewSubjectRef returns the pseudonym of a person the broker links for the
// first time: random, so that it says nothing of the person and a person
// erased and signalled again gets one that cannot be linked to the old.
func NewSubjectRef() string { return NewID("s") }

// The forms of ids and names, checked by hand rather than by regexp (a card
// read checks three; the regexps they implement are in ids_test.go, which
// checks these against them):
//
//	subject ref  ^s_[a-z2-7]{26}$
//	dossier id   ^case_[a-z2-7]{26}$
//	record id    ^(sig|obs)_[a-z2-7]{26}$
//	task id      ^task_[a-z2-7]{26}$
//	purpose, dossier category  ^[a-z][a-z0-9_]{0,63}$

// ValidSubjectRef reports whether s has the form of a subject ref.
func ValidSubjectRef(s string) bool { return isID(s, "s_") }

// ValidCaseID reports whether s has the form of a dossier id.
func ValidCaseID(s string) bool { return isID(s, "case_") }

// ValidRecordID reports whether s has the form of a record id.
func ValidRecordID(s string) bool { return isID(s, "sig_") || isID(s, "obs_") }

// ValidTaskID reports whether s has the form of a task id.
func ValidTaskID(s string) bool { return isID(s, "task_") }

func validPurpose(s string) bool { return isName(s) }

func validCategory(s string) bool { return isName(s) }

// isID reports whether s is prefix followed by 26 characters of idEncoding's
// alphabet.
func isID(s, prefix string) bool {
	if len(s) != len(prefix)+26 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// isName reports whether s is 1 to 64 of a-z, 0-9 and _, starting with a
// letter.
func isName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func asciiDigit(c byte) bool { return '0' <= c && c <= '9' }
