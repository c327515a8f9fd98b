package broker

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livc/livc-broker/broker/nationalnumber"
	"github.com/livc/livc-broker/broker/strictjson"
)

// Bounds used when the catalogue sets none.
const (
	defaultStringMax      = 4000 // characters of a string field
	defaultListMax        = 100  // items of a list field
	defaultSubjectNameMax = 200  // characters of a name in subject
)

// subjectSpec is the spec a subject key is checked with: the catalogue's when
// it declares that name with the subject's type, else a built-in one. A
// catalogue's string without max keeps the built-in max.
func subjectSpec(cell *Cell, key string) FieldSpec {
	spec := FieldSpec{Name: key, Class: ClassIdentity, Type: subjectTypes[key]}
	if spec.Type == FieldString {
		spec.Max = ptrInt64(defaultSubjectNameMax)
	}
	if c, ok := cell.Fields[key]; ok && c.Type == spec.Type {
		if c.Max != nil {
			spec.Max = c.Max
		}
	}
	return spec
}

func ptrInt64(n int64) *int64 { return &n }

// parseFields checks a "fields" object against the catalogue. refuse may
// refuse a catalogued field by returning a detail.
func parseFields(cell *Cell, v any, now time.Time, refuse func(string, FieldSpec) string) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Invalid("fields", "must be an object")
	}
	if len(obj) == 0 {
		return nil, Invalid("fields", "must hold at least one field")
	}
	out := make(map[string]any, len(obj))
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		path := strictjson.Path("fields", name)
		spec, ok := cell.Fields[name]
		if !ok {
			return nil, Invalid(path, "is not a field of this cell's catalogue")
		}
		if detail := refuse(name, spec); detail != "" {
			return nil, Invalid(path, "%s", detail)
		}
		val, err := checkValue(path, spec, obj[name], now)
		if err != nil {
			return nil, err
		}
		out[name] = val
	}
	return out, nil
}

// checkValue validates one value of a decoded tree against spec and returns
// it as the broker keeps it: string, int64 or []string.
func checkValue(path string, spec FieldSpec, v any, now time.Time) (any, error) {
	switch spec.Type {
	case FieldString:
		return checkText(path, v, maxOr(spec.Max, defaultStringMax))
	case FieldInteger:
		return checkInteger(path, spec, v)
	case FieldDate:
		return checkDate(path, v, now)
	case FieldEnum:
		s, ok := v.(string)
		if !ok || !slices.Contains(spec.Values, s) {
			return nil, Invalid(path, "must be one of: %s", strings.Join(spec.Values, ", "))
		}
		return s, nil
	case FieldList:
		return checkList(path, v, maxOr(spec.Max, defaultListMax))
	case FieldNationalNumber:
		s, ok := v.(string)
		if !ok {
			return nil, Invalid(path, "must be a string")
		}
		nn, ok := nationalnumber.Normalize(s)
		if !ok {
			return nil, Invalid(path, "is not a valid Belgian national number (11 digits, mod-97 check)")
		}
		return nn, nil
	}
	// The cell loader refuses unknown types; reaching here is a bug.
	return nil, Errorf(KindInternal, "the catalogue has a field of an unknown type")
}

func maxOr(p *int64, def int64) int64 {
	if p != nil {
		return *p
	}
	return def
}

// checkText accepts a string of at most max characters, with no control
// character but newline and tab, that is not blank; it returns it trimmed.
func checkText(path string, v any, max int64) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", Invalid(path, "must be a string")
	}
	if !utf8.ValidString(s) {
		return "", Invalid(path, "is not valid UTF-8")
	}
	if int64(utf8.RuneCountInString(s)) > max {
		return "", Invalid(path, "is longer than %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", Invalid(path, "holds a control character (only newline and tab are allowed)")
		}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return "", Invalid(path, "is empty")
	}
	return t, nil
}

// checkInteger accepts a JSON integer written as one (no fraction, no
// exponent: not 12.0, not 1e2) within the spec's range.
func checkInteger(path string, spec FieldSpec, v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok || !integerLiteral(string(n)) {
		return 0, Invalid(path, "must be an integer, written without fraction or exponent")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, Invalid(path, "is out of range")
	}
	if spec.Min != nil && i < *spec.Min {
		return 0, Invalid(path, "is less than %d", *spec.Min)
	}
	if spec.Max != nil && i > *spec.Max {
		return 0, Invalid(path, "is more than %d", *spec.Max)
	}
	return i, nil
}

func integerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !asciiDigit(s[i]) {
			return false
		}
	}
	return true
}

// checkDate accepts a calendar date YYYY-MM-DD from 1900 that is not after
// today anywhere on Earth (UTC+14), so that a date entered today in any time
// zone passes.
func checkDate(path string, v any, now time.Time) (string, error) {
	s, ok := v.(string)
	if !ok || len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return "", Invalid(path, "must be a date written YYYY-MM-DD")
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", Invalid(path, "must be a calendar date written YYYY-MM-DD")
	}
	if d.Before(earliestTime) {
		return "", Invalid(path, "is before 1900")
	}
	ahead := now.In(time.FixedZone("UTC+14", 14*60*60))
	if d.After(time.Date(ahead.Year(), ahead.Month(), ahead.Day(), 0, 0, 0, 0, time.UTC)) {
		return "", Invalid(path, "is in the future")
	}
	return s, nil
}

// checkList accepts an array of at most max distinct, non-blank strings of at
// most MaxListItemRunes characters each, and at least one.
func checkList(path string, v any, max int64) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, Invalid(path, "must be a list of strings")
	}
	if len(arr) == 0 {
		return nil, Invalid(path, "must hold at least one item")
	}
	if int64(len(arr)) > max {
		return nil, Invalid(path, "holds more than %d items", max)
	}
	out := make([]string, 0, len(arr))
	seen := make(map[string]bool, len(arr))
	for i, item := range arr {
		ip := strictjson.IndexPath(path, i)
		s, err := checkText(ip, item, MaxListItemRunes)
		if err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, Invalid(ip, "is given twice in the list")
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}
