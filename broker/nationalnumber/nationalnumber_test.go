package nationalnumber

import (
	"fmt"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" when refused
	}{
		{"born before 2000, written", "85.07.30-033.28", "85073003328"},
		{"born before 2000, digits", "85073003328", "85073003328"},
		{"born before 2000, spaces", "850730 033 28", "85073003328"},
		{"surrounding white space", " 85073003328\t", "85073003328"},
		{"born from 2000 on", "01.01.01-001.26", "01010100126"},
		{"born 1901, same first digits", "01.01.01-001.94", "01010100194"},
		{"born from 2000 on, digits", "05031512367", "05031512367"},
		{"check 97 (remainder 0)", "00000000097", "00000000097"},
		{"typo in the check", "85.07.30-033.29", ""},
		{"typo in the sequence", "85.07.30-034.28", ""},
		{"swapped day and month", "85.30.07-033.28", ""},
		{"2000+ check on a pre-2000 base", "85.07.30-033.61", ""},
		{"check 00", "85073003300", ""},
		{"ten digits", "8507300332", ""},
		{"twelve digits", "850730033280", ""},
		{"letter O for zero", "85.07.30-O33.28", ""},
		{"slash separator", "85/07/30-033.28", ""},
		{"leading separator", "-85073003328", ""},
		{"trailing separator", "85073003328.", ""},
		{"plus sign", "+85073003328", ""},
		{"fullwidth digits", "８５０７３００３３２８", ""},
		{"empty", "", ""},
		{"separators only", " .-. ", ""},
		{"over the length bound", "85.........................07300332.8", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Normalize(tc.in)
			if ok != (tc.want != "") || got != tc.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

// A single wrong digit never passes the rule the number was valid under; the
// only typos that pass at all move the number to the other rule, and only by
// the year's second digit.
func TestNationalNumberDigitTypos(t *testing.T) {
	for _, valid := range []string{"85073003328", "87073003370", "01010100126", "05031512367"} {
		t.Run(valid, func(t *testing.T) {
			plain := plainRuleHolds(valid)
			for i := range len(valid) {
				for d := byte('0'); d <= '9'; d++ {
					if d == valid[i] {
						continue
					}
					typo := valid[:i] + string(d) + valid[i+1:]
					if !accepts(typo) {
						continue
					}
					if plainRuleHolds(typo) == plain || i != 1 || int(d)-int(valid[i]) != map[bool]int{true: -6, false: 6}[plain] {
						t.Errorf("typo %s accepted", typo)
					}
				}
			}
		})
	}
	// The known collision across the rules, documented on Normalize.
	if !accepts("81.07.30-033.70") {
		t.Error("the documented cross-rule collision no longer holds: update the doc comment")
	}
}

func plainRuleHolds(digits string) bool {
	var base int64
	for _, c := range digits[:9] {
		base = base*10 + int64(c-'0')
	}
	return 97-base%97 == int64(digits[9]-'0')*10+int64(digits[10]-'0')
}

// A birth date given with a national number must agree with the date the
// number encodes, in the parts it knows: the century from the check rule,
// a month or day of 00 unknown, a BIS number's month shifted by 20 or 40.
func TestBirthContradicts(t *testing.T) {
	withCheck := func(first9 string, from2000 bool) string {
		var base int64
		for _, c := range first9 {
			base = base*10 + int64(c-'0')
		}
		if from2000 {
			base += 2_000_000_000
		}
		return fmt.Sprintf("%s%02d", first9, 97-base%97)
	}
	tests := []struct {
		name, nn, birth string
		want            bool
	}{
		{"the same date", "85073003328", "1985-07-30", false},
		{"another day", "85073003328", "1985-07-31", true},
		{"another month", "85073003328", "1985-08-30", true},
		{"another century", "85073003328", "2085-07-30", true},
		{"born from 2000 on", withCheck("050412123", true), "2005-04-12", false},
		{"from 2000 on, read as 1900s", withCheck("050412123", true), "1905-04-12", true},
		{"unknown month and day: the year only", withCheck("850000123", false), "1985-11-02", false},
		{"unknown month and day, another year", withCheck("850000123", false), "1986-11-02", true},
		{"unknown day", withCheck("850700123", false), "1985-07-02", false},
		{"unknown day, another month", withCheck("850700123", false), "1985-06-02", true},
		{"unknown date", withCheck("000000123", false), "1961-01-01", false},
		{"BIS number, month + 20", withCheck("852730123", false), "1985-07-30", false},
		{"BIS number, month + 40", withCheck("854730123", false), "1985-07-31", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !accepts(tt.nn) {
				t.Fatalf("%s is not a valid number: the case proves nothing", tt.nn)
			}
			if got := BirthContradicts(tt.nn, tt.birth); got != tt.want {
				t.Fatalf("BirthContradicts(%s, %s) = %v, want %v", tt.nn, tt.birth, got, tt.want)
			}
		})
	}
}

func accepts(s string) bool {
	_, ok := Normalize(s)
	return ok
}
