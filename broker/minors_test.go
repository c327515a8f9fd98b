package broker

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker/nationalnumber"
)

// testNN builds a valid national number for birth digits yymmdd and a
// sequence number, under the check rule of people born before 2000 or from
// 2000 on.
func testNN(t *testing.T, yymmdd, seq string, from2000 bool) string {
	t.Helper()
	base, err := strconv.ParseInt(yymmdd+seq, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if from2000 {
		base += 2_000_000_000
	}
	nn := fmt.Sprintf("%s%s%02d", yymmdd, seq, 97-base%97)
	if !validNationalNumber(nn) {
		t.Fatalf("test number %s is not valid", nn)
	}
	return nn
}

func TestMinorOn(t *testing.T) {
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)
	rec := func(fields map[string]any) Record { return Record{Fields: fields} }
	birth := func(s string) Record { return rec(map[string]any{"birth_date": s}) }
	nn := func(yymmdd string, from2000 bool) Record {
		return rec(map[string]any{"national_number": testNN(t, yymmdd, "123", from2000)})
	}
	tests := []struct {
		name    string
		records []Record
		age     int
		now     time.Time
		want    bool
	}{
		{"birth date, 16 years old", []Record{birth("2010-03-01")}, 18, now, true},
		{"birth date, 30 years old", []Record{birth("1996-03-01")}, 18, now, false},
		{"18th birthday today: adult", []Record{birth("2008-06-15")}, 18, now, false},
		{"18th birthday tomorrow: minor", []Record{birth("2008-06-16")}, 18, now, true},
		{"18th birthday today, the cell's age 16", []Record{birth("2008-06-15")}, 16, now, false},
		{"born 29 February, 28 February of a common year: minor", []Record{birth("2008-02-29")}, 18, time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), true},
		{"born 29 February, 1 March of a common year: adult", []Record{birth("2008-02-29")}, 18, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"the day is the UTC day of now", []Record{birth("2008-06-16")}, 18, time.Date(2026, 6, 16, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600)), true},
		{"national number from 2000 on, 16 years old", []Record{nn("100301", true)}, 18, now, true},
		{"national number before 2000, adult", []Record{nn("960301", false)}, 18, now, false},
		{"national number, birthday today: adult", []Record{nn("080615", true)}, 18, now, false},
		{"national number, birthday tomorrow: minor", []Record{nn("080616", true)}, 18, now, true},
		{"national number with written separators", []Record{rec(map[string]any{"national_number": "10.03.01-123." + testNN(t, "100301", "123", true)[9:]})}, 18, now, true},
		{"national number, unknown day: the month's last", []Record{nn("080600", true)}, 18, now, true},
		{"national number, unknown month and day: the year's last", []Record{nn("080000", true)}, 18, time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC), true},
		{"national number, unknown month and day, next year: adult", []Record{nn("080000", true)}, 18, time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"national number, year unknown too: adult rules", []Record{rec(map[string]any{"national_number": testNN(t, "000000", "123", false)})}, 18, now, false},
		{"BIS number, month shifted by 40", []Record{nn("104301", true)}, 18, now, true},
		{"records disagree: the youngest counts", []Record{birth("1990-01-01"), birth("2010-01-01")}, 18, now, true},
		{"birth date and national number disagree: the youngest", []Record{rec(map[string]any{"birth_date": "1990-01-01", "national_number": testNN(t, "100301", "123", true)})}, 18, now, true},
		{"no birth date anywhere: adult rules", []Record{rec(map[string]any{"family_name": "Peeters"})}, 18, now, false},
		{"no records: adult rules", nil, 18, now, false},
		{"a malformed value says nothing", []Record{birth("2010-13-01"), rec(map[string]any{"national_number": "12345678901"})}, 18, now, false},
		{"no minors block (age 0): nobody is a minor", []Record{birth("2015-01-01")}, 0, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MinorOn(tt.records, tt.age, tt.now); got != tt.want {
				t.Errorf("MinorOn = %v, want %v", got, tt.want)
			}
		})
	}
}

func validNationalNumber(s string) bool {
	_, ok := nationalnumber.Normalize(s)
	return ok
}
