package broker

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"regexp"
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

var (
	subjectRefPattern = regexp.MustCompile(`^s_[a-z2-7]{26}$`)
	caseIDPattern     = regexp.MustCompile(`^case_[a-z2-7]{26}$`)
	recordIDPattern   = regexp.MustCompile(`^(sig|obs)_[a-z2-7]{26}$`)
	purposePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	categoryPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// ValidSubjectRef reports whether s has the form of a subject ref.
func ValidSubjectRef(s string) bool { return subjectRefPattern.MatchString(s) }

// ValidCaseID reports whether s has the form of a dossier id.
func ValidCaseID(s string) bool { return caseIDPattern.MatchString(s) }

// ValidRecordID reports whether s has the form of a record id.
func ValidRecordID(s string) bool { return recordIDPattern.MatchString(s) }

func validPurpose(s string) bool { return purposePattern.MatchString(s) }

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

var taskIDPattern = regexp.MustCompile(`^task_[a-z2-7]{26}$`)

// ValidTaskID reports whether s has the form of a task id.
func ValidTaskID(s string) bool { return taskIDPattern.MatchString(s) }
