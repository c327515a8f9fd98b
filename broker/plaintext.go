package broker

import (
	"maps"
	"slices"
	"time"

	"github.com/livc/livc-broker/broker/nationalnumber"
	"github.com/livc/livc-broker/broker/strictjson"
)

// Limits of the plaintext of an envelope (a signal, an observation, a lookup).
const (
	// MaxEnvelopeJSONBytes bounds the plaintext the parsers read. The
	// largest signal the example catalogue allows, every character escaped,
	// stays well under it.
	MaxEnvelopeJSONBytes = 1 << 20
	// MaxEnvelopeJSONDepth bounds nesting: the top-level object, "subject"
	// or "fields", a list, and one level more so that a nested value is
	// refused as of the wrong type, naming its field.
	MaxEnvelopeJSONDepth = 4
	// MaxFutureSkew is how far in the future observed_at may lie, for
	// clocks that run ahead.
	MaxFutureSkew = 5 * time.Minute
	// MaxListItemRunes bounds each item of a list field, in characters.
	MaxListItemRunes = 200
)

// earliestTime is the earliest observed_at and date accepted: anything
// before it is a typo, not a fact about a living person.
var earliestTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// The keys of a subject, which are also the identity fields of a card.
const (
	keyNationalNumber = "national_number"
	keyFamilyName     = "family_name"
	keyGivenName      = "given_name"
	keyBirthDate      = "birth_date"
)

var subjectKeys = []string{keyNationalNumber, keyFamilyName, keyGivenName, keyBirthDate}

// subjectTypes are the types the subject keys always have, whatever the
// catalogue says.
var subjectTypes = map[string]string{
	keyNationalNumber: FieldNationalNumber,
	keyFamilyName:     FieldString,
	keyGivenName:      FieldString,
	keyBirthDate:      FieldDate,
}

// Signal is a validated signal: who it is about, when it was observed and
// what was observed. Fields holds values of the cell's catalogue: string,
// int64 or []string.
type Signal struct {
	Subject    Identity
	ObservedAt time.Time
	Fields     map[string]any
}

// Observation is a validated observation about a person already known by
// subject ref: no identity field, at least one other field.
type Observation struct {
	ObservedAt time.Time
	Fields     map[string]any
}

// ParseSignal parses and validates the plaintext of a signal envelope:
//
//	{"subject": {...}, "observed_at": "<RFC 3339>", "fields": {...}}
//
// All three keys are required and no other is accepted. The subject names
// the person by national_number, by family_name, given_name and birth_date,
// or by all four (see ParseLookup); a birth_date given with a national number
// must agree with the date the number encodes, where it encodes one.
// observed_at lies from 1900 to at most
// MaxFutureSkew after now; it is returned in UTC. fields holds at least one
// field of the cell's catalogue, each of its type, size and range; fields of
// class identity such as an address are accepted, but not a subject key the
// subject already gives (there would be two values for one person's name).
//
// The input is decoded with strictjson.Decode (MaxEnvelopeJSONBytes,
// MaxEnvelopeJSONDepth). Every refusal is a KindInvalid error (KindTooLarge
// for an oversized input) whose Field is the path of what is wrong, such as
// "fields.school_absence_days" or "subject.national_number", and whose Detail
// never holds a value. String values are returned without surrounding white
// space; a national number as its 11 digits.
func ParseSignal(cell *Cell, plaintext []byte, now time.Time) (Signal, error) {
	top, err := decodeEnvelopeObject(plaintext, "subject", "observed_at", "fields")
	if err != nil {
		return Signal{}, err
	}
	subject, err := parseSubject(cell, top["subject"], now)
	if err != nil {
		return Signal{}, err
	}
	at, err := parseObservedAt(top["observed_at"], now)
	if err != nil {
		return Signal{}, err
	}
	given := subject.fields()
	fields, err := parseFields(cell, top["fields"], now, func(name string, _ FieldSpec) string {
		if _, ok := given[name]; ok {
			return "is given in subject already"
		}
		return ""
	})
	if err != nil {
		return Signal{}, err
	}
	return Signal{Subject: subject, ObservedAt: at, Fields: fields}, nil
}

// ParseObservation parses and validates the plaintext of an observation
// envelope: {"fields": {...}, "observed_at": "<RFC 3339>"}, both required,
// nothing else. fields are checked as ParseSignal checks them, but a field of
// class identity is refused: an observation is about a person the broker
// already knows, and identities come with signals only.
func ParseObservation(cell *Cell, plaintext []byte, now time.Time) (Observation, error) {
	top, err := decodeEnvelopeObject(plaintext, "fields", "observed_at")
	if err != nil {
		return Observation{}, err
	}
	at, err := parseObservedAt(top["observed_at"], now)
	if err != nil {
		return Observation{}, err
	}
	fields, err := parseFields(cell, top["fields"], now, func(_ string, spec FieldSpec) string {
		if spec.Class == ClassIdentity {
			return "is an identity field, which only a signal may carry"
		}
		return ""
	})
	if err != nil {
		return Observation{}, err
	}
	return Observation{ObservedAt: at, Fields: fields}, nil
}

// ParseLookup parses and validates the plaintext of a lookup envelope:
// {"subject": {...}}, nothing else.
//
// A subject has no key but national_number, family_name, given_name and
// birth_date, and names the person by national_number, by the other three
// together, or by all four. national_number must pass its mod-97 check;
// family_name and given_name are strings within the catalogue's max for
// those names (when it declares them as strings); birth_date is a date, not
// in the future (by the wall clock, as a lookup carries no time).
func ParseLookup(cell *Cell, plaintext []byte) (Identity, error) {
	top, err := decodeEnvelopeObject(plaintext, "subject")
	if err != nil {
		return Identity{}, err
	}
	return parseSubject(cell, top["subject"], time.Now())
}

// IdentityFields returns the subject's identity as fields of class identity,
// as a card shows them: national_number, family_name, given_name and
// birth_date, those the subject gives. The map is the caller's.
func (s Signal) IdentityFields() map[string]any {
	return s.Subject.fields()
}

// fields returns the identity's non-empty values by subject key.
func (id Identity) fields() map[string]any {
	out := map[string]any{}
	for k, v := range map[string]string{
		keyNationalNumber: id.NationalNumber, keyFamilyName: id.FamilyName,
		keyGivenName: id.GivenName, keyBirthDate: id.BirthDate,
	} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// decodeEnvelopeObject decodes plaintext strictly as an object with exactly
// keys, all required.
func decodeEnvelopeObject(plaintext []byte, keys ...string) (map[string]any, error) {
	tree, err := decodeStrictJSON(plaintext, strictjson.Limits{MaxBytes: MaxEnvelopeJSONBytes, MaxDepth: MaxEnvelopeJSONDepth})
	if err != nil {
		return nil, err
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, Invalid("", "must be a JSON object")
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(keys, k) {
			return nil, Invalid(strictjson.Path("", k), "is not a key of this request")
		}
	}
	for _, k := range keys {
		if _, ok := top[k]; !ok {
			return nil, Invalid(k, "is required")
		}
	}
	return top, nil
}

func parseObservedAt(v any, now time.Time) (time.Time, error) {
	const path = "observed_at"
	s, ok := v.(string)
	if !ok {
		return time.Time{}, Invalid(path, "must be an RFC 3339 time")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, Invalid(path, "must be an RFC 3339 time")
	}
	if t.After(now.Add(MaxFutureSkew)) {
		return time.Time{}, Invalid(path, "is more than %s in the future", MaxFutureSkew)
	}
	if t.Before(earliestTime) {
		return time.Time{}, Invalid(path, "is before 1900")
	}
	return t.UTC(), nil
}

func parseSubject(cell *Cell, v any, now time.Time) (Identity, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Identity{}, Invalid("subject", "must be an object")
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(subjectKeys, k) {
			return Identity{}, Invalid(strictjson.Path("subject", k), "is not a key of a subject")
		}
	}
	vals := map[string]string{}
	for _, k := range subjectKeys {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		val, err := checkValue("subject."+k, subjectSpec(cell, k), raw, now)
		if err != nil {
			return Identity{}, err
		}
		vals[k] = val.(string) // every subject type yields a string
	}
	if err := checkSubjectForm(vals); err != nil {
		return Identity{}, err
	}
	// A birth date the national number contradicts names two people at
	// once: linking on it would join one person's records to another's.
	if nn, birth := vals[keyNationalNumber], vals[keyBirthDate]; nn != "" && birth != "" && nationalnumber.BirthContradicts(nn, birth) {
		return Identity{}, Invalid("subject."+keyBirthDate, "contradicts the birth date the national number encodes")
	}
	return Identity{
		NationalNumber: vals[keyNationalNumber], FamilyName: vals[keyFamilyName],
		GivenName: vals[keyGivenName], BirthDate: vals[keyBirthDate],
	}, nil
}

// checkSubjectForm accepts a national number, the three names together, or
// all four: a partial name would link records on less than it seems to.
func checkSubjectForm(vals map[string]string) error {
	names := []string{keyFamilyName, keyGivenName, keyBirthDate}
	var missing []string
	for _, k := range names {
		if _, ok := vals[k]; !ok {
			missing = append(missing, k)
		}
	}
	_, hasNN := vals[keyNationalNumber]
	switch {
	case len(missing) == 0, hasNN && len(missing) == len(names):
		return nil
	case len(missing) == len(names):
		return Invalid("subject", "must name the person by national_number, or by family_name, given_name and birth_date")
	}
	return Invalid("subject."+missing[0], "is required with the other names: family_name, given_name and birth_date go together")
}
