package broker

import "strings"

// maxNationalNumberLen bounds the written form of a national number, so that a
// long run of separators is refused before it is scanned.
const maxNationalNumberLen = 32

// NormalizeNationalNumber returns the 11 digits of a Belgian national number
// (rijksregisternummer / numéro de registre national, or a BIS number) and
// whether it is valid.
//
// It accepts the digits alone ("85073003328") or written with spaces, dots and
// dashes as separators ("85.07.30-033.28"); surrounding white space is
// ignored, but the number must begin and end with a digit and hold exactly 11
// digits. The last two digits are the check: 97 minus the first nine digits
// modulo 97 for people born before 2000, and 97 minus "2" followed by the
// first nine digits modulo 97 for people born from 2000 on. A number is valid
// when either rule holds (never both at once).
//
// Under one rule, any single wrong digit is refused. Across the two rules one
// kind of typo slips through: the year's second digit six lower turns a valid
// 19YY number into a valid 20YY one with the same check (87.07.30-033.70 and
// 81.07.30-033.70), and six higher the reverse. The birth date part is not
// checked: a number may carry an unknown day or month (00) or, for a BIS
// number, a shifted month.
func NormalizeNationalNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxNationalNumberLen || !asciiDigit(s[0]) || !asciiDigit(s[len(s)-1]) {
		return "", false
	}
	digits := make([]byte, 0, 11)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case asciiDigit(c):
			if len(digits) == 11 {
				return "", false
			}
			digits = append(digits, c)
		case c == ' ' || c == '.' || c == '-':
		default:
			return "", false
		}
	}
	if len(digits) != 11 {
		return "", false
	}
	var base int64
	for _, c := range digits[:9] {
		base = base*10 + int64(c-'0')
	}
	check := int64(digits[9]-'0')*10 + int64(digits[10]-'0')
	if 97-base%97 == check || 97-(2_000_000_000+base)%97 == check {
		return string(digits), true
	}
	return "", false
}

// ValidNationalNumber reports whether s is a valid Belgian national number, as
// NormalizeNationalNumber accepts it.
func ValidNationalNumber(s string) bool {
	_, ok := NormalizeNationalNumber(s)
	return ok
}

func asciiDigit(c byte) bool { return '0' <= c && c <= '9' }
