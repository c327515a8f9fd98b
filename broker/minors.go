package broker

import (
	"time"

	"github.com/livc/livc-broker/broker/nationalnumber"
)

// MinorOn reports whether the person the records describe is under age
// years on the day of now (README rule 9), from the birth_date and
// national_number values the records hold.
//
// Each value gives the latest birth date it allows: a birth date itself; a
// national number's date, where a month or day it leaves unknown (00) is
// taken as the last of the year or month, so that an uncertain date counts
// the person as young as it can. Where records disagree, the youngest
// counts. A person with no birth date anywhere (no value, or a national
// number that leaves even the year unknown) gets the adult rules, as rule 9
// says. The day is the UTC day of now: around midnight in Belgium that
// keeps a person a minor an hour or two longer, never shorter. A person born
// on 29 February comes of age on 1 March in other years. age <= 0 means the
// cell sets no minors: nobody is a minor.
func MinorOn(records []Record, age int, now time.Time) bool {
	if age <= 0 {
		return false
	}
	youngest, known := time.Time{}, false
	for _, rec := range records {
		for _, b := range birthDates(rec.Fields) {
			if !known || b.After(youngest) {
				youngest, known = b, true
			}
		}
	}
	if !known {
		return false
	}
	return ageOn(youngest, now.UTC()) < age
}

// birthDates returns the latest birth date each of a record's birth_date and
// national_number values allows; a value that says nothing of it gives none.
func birthDates(fields map[string]any) []time.Time {
	var out []time.Time
	if s, ok := fields[keyBirthDate].(string); ok {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			out = append(out, t)
		}
	}
	if s, ok := fields[keyNationalNumber].(string); ok {
		if nn, valid := nationalnumber.Normalize(s); valid {
			if t, ok := latestBirth(nationalnumber.Birth(nn)); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

// latestBirth is the latest date a national number's birth parts allow: an
// unknown month (0) is December, an unknown day the month's last. Year 0 is
// unknown: no date.
func latestBirth(year, month, day int) (time.Time, bool) {
	if year == 0 {
		return time.Time{}, false
	}
	if month == 0 {
		month, day = 12, 31
	}
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day == 0 || day > last {
		day = last
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
}

// ageOn is the age in whole years on the day of now of a person born on
// birth: one year more on each birthday, and a birthday of 29 February
// counts from 1 March in other years.
func ageOn(birth, now time.Time) int {
	years := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		years--
	}
	return years
}
