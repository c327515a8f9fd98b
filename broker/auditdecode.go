package broker

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// MaxAuditEntryBytes bounds one audit entry as ParseAuditEntry accepts it.
const MaxAuditEntryBytes = 64 << 10

var (
	auditIDPattern  = regexp.MustCompile(`^aud_[a-z2-7]{26}$`)
	leafHashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ParseAuditEntry reads one audit entry as GET /v1/audit returns it (and as
// the audit log stores it), for a client or verifier that must not trust
// what it is given: a saved export, a proxy's answer, a stream message.
//
// It refuses, with a KindInvalid error naming the field, anything
// DecodeStrictJSON refuses (duplicate keys, invalid UTF-8, nesting deeper
// than an entry has, trailing data), a key the entry does not have, a value
// of the wrong type, an id that is not an audit id, a missing time or
// action, a decision other than allow, deny or error, a negative index and a
// leaf hash that is not 64 hex digits. It never returns a partly filled
// entry with a nil error.
func ParseAuditEntry(data []byte) (AuditEntry, error) {
	if _, err := DecodeStrictJSON(data, JSONLimits{MaxBytes: MaxAuditEntryBytes, MaxDepth: 2}); err != nil {
		return AuditEntry{}, err
	}
	var e AuditEntry
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return AuditEntry{}, Invalid(jsonErrorField(err), "is not an audit entry")
	}
	switch {
	case !auditIDPattern.MatchString(e.ID):
		return AuditEntry{}, Invalid("id", "is not an audit entry id")
	case e.Time.IsZero():
		return AuditEntry{}, Invalid("time", "is missing")
	case e.Action == "":
		return AuditEntry{}, Invalid("action", "is missing")
	case e.Decision != DecisionAllow && e.Decision != DecisionDeny && e.Decision != DecisionError:
		return AuditEntry{}, Invalid("decision", "must be allow, deny or error")
	case e.Index < 0:
		return AuditEntry{}, Invalid("index", "is negative")
	case e.LeafHash != "" && !leafHashPattern.MatchString(e.LeafHash):
		return AuditEntry{}, Invalid("leaf_hash", "is not a hex SHA-256")
	}
	return e, nil
}

// jsonErrorField names the field an encoding/json error is about, or "".
func jsonErrorField(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return te.Field
	}
	return ""
}
