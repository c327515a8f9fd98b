// Package nationalnumber reads Belgian national numbers (rijksregisternummer
// / numéro de registre national, and BIS numbers): their check and the birth
// date they encode. It imports nothing of the broker.
package nationalnumber

import "strings"

// maxLen bounds the written form of a national number, so that a
// long run of separators is refused before it is scanned.
const maxLen = 32

// Normalize returns the 11 digits of a Belgian national number
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
func Normalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLen || !asciiDigit(s[0]) || !asciiDigit(s[len(s)-1]) {
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

func asciiDigit(c byte) bool { return '0' <= c && c <= '9' }

// Birth returns what the 11 digits of a valid national number
// say of the birth date: its year (the century from the check rule that
// holds), and its month and day, 0 where the number leaves them unknown. A
// month of 00 leaves month and day unknown, a day of 00 the day; a BIS
// number's month is shifted by 20 or 40; a month or day outside the
// calendar after that is unknown too, and 00.00.00 leaves the year unknown
// as well (year 0). It never refuses: the number passed its check already.
func Birth(nn string) (year, month, day int) {
	num := func(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
	yy, mm, dd := num(nn[0:2]), num(nn[2:4]), num(nn[4:6])
	if yy == 0 && mm == 0 && dd == 0 {
		return 0, 0, 0
	}
	year = 1900 + yy
	var base int64
	for _, c := range []byte(nn[:9]) {
		base = base*10 + int64(c-'0')
	}
	if 97-base%97 != int64(num(nn[9:11])) {
		year += 100 // only the rule of people born from 2000 on holds
	}
	if mm > 40 {
		mm -= 40
	} else if mm > 20 {
		mm -= 20
	}
	if mm < 1 || mm > 12 {
		return year, 0, 0
	}
	if dd < 1 || dd > 31 {
		return year, mm, 0
	}
	return year, mm, dd
}

// BirthContradicts reports whether a birth date (YYYY-MM-DD, checked)
// contradicts the one the national number nn (11 digits, valid) encodes in
// a part the number knows.
func BirthContradicts(nn, birth string) bool {
	year, month, day := Birth(nn)
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	switch {
	case year != 0 && num(birth[0:4]) != year:
		return true
	case month != 0 && num(birth[5:7]) != month:
		return true
	case day != 0 && num(birth[8:10]) != day:
		return true
	}
	return false
}
