package strictjson

import (
	"fmt"
	"strconv"
)

// Error is a refusal of Decode. Its text is safe to show a client: it never
// holds a value of the input, and a key only when Path shows it plain.
type Error struct {
	// TooLarge marks an input over Limits.MaxBytes.
	TooLarge bool
	// Path is the path of the offending value, "" for the input as a whole.
	Path string
	// Detail names what is wrong and where (a byte offset).
	Detail string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Detail
	}
	return e.Path + ": " + e.Detail
}

func invalid(path, format string, args ...any) *Error {
	return &Error{Path: path, Detail: fmt.Sprintf(format, args...)}
}

// DetailRepeatedKey is the Detail of Decode's refusal of a key
// given twice in one object, for a caller that tells it apart.
const DetailRepeatedKey = "key given twice"

// JSONPath returns the path of key under parent, as Decode and the
// parsers of this package name offending values. A key that is not a short
// plain name (letters, digits, '_' and '-') is written as "<key>": a key is
// client content and may hold anything, down to the value it mislabels.
func Path(parent, key string) string {
	if !plainKey(key) {
		key = "<key>"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// IndexPath returns the path of item i of the array at parent.
func IndexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// plainKey reports whether key may be echoed in a path.
func plainKey(key string) bool {
	if key == "" || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !asciiDigit(c) && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
