package broker

import "slices"

// The actor types of a cell: the kinds of organisation that sit in one.
const (
	TypeSocioPreventive     = "socio_preventive"
	TypeMunicipalService    = "municipal_service"
	TypePolice              = "police"
	TypeIntelligence        = "intelligence"
	TypeJudicial            = "judicial"
	TypeLocalAdmin          = "local_admin"
	TypeBusinessAssociation = "business_association"
	TypePrivacyOfficer      = "privacy_officer"
)

// ActorTypes lists every actor type a configuration may use.
var ActorTypes = []string{
	TypeSocioPreventive, TypeMunicipalService, TypePolice, TypeIntelligence,
	TypeJudicial, TypeLocalAdmin, TypeBusinessAssociation, TypePrivacyOfficer,
}

// The tables of a cell.
const (
	TableStrategic   = "strategic"
	TableTactical    = "tactical"
	TableOperational = "operational"
)

// Tables lists the tables a configuration may declare.
var Tables = []string{TableStrategic, TableTactical, TableOperational}

// The purposes the pipeline gives a meaning to. A cell declares its purposes
// in its configuration; these are the ones the endpoints are bound to.
const (
	PurposeSignal         = "signal"
	PurposeCaseConference = "case_conference"
	PurposePrioritisation = "prioritisation"
	PurposePolicy         = "policy"
	PurposeAuditReview    = "audit_review"
)

// Field types of the catalogue.
const (
	FieldString         = "string"
	FieldInteger        = "integer"
	FieldDate           = "date"
	FieldEnum           = "enum"
	FieldList           = "list"
	FieldNationalNumber = "national_number"
)

// FieldTypes lists every field type a catalogue may use.
var FieldTypes = []string{FieldString, FieldInteger, FieldDate, FieldEnum, FieldList, FieldNationalNumber}

// ClassIdentity is the class of the fields that name a person.
const ClassIdentity = "identity"

// Cell is one cell's validated configuration. It is immutable once loaded:
// the pipeline shares it between requests without locking.
type Cell struct {
	ID        string
	Name      string
	Actors    map[string]Actor               // by actor id
	Tables    map[string][]string            // table -> actor ids
	Purposes  map[string]Purpose             // by purpose name
	Fields    map[string]FieldSpec           // the catalogue, by field name
	Release   map[string]map[string][]string // purpose -> class -> actor types
	Retention Retention
	// Secrecy lists the actor types bound by professional secrecy (art.
	// 458ter): their records reach a dossier's roster only once shared with
	// it (subjects_reach.go). The policy names them too (Decision.ShareTypes); a
	// record needs a share if either does.
	Secrecy []string
	// Minors holds the stricter rules for a person under Minors.Age, or nil
	// when the cell sets none (then minors get the adult rules).
	Minors *Minors
	// PolicyDir is a directory of extra Rego rules of this cell, or "".
	PolicyDir string
	// Audit holds the thresholds of the privacy officer's alerts.
	Audit AuditConf
}

// Actor is an organisation at the cell.
type Actor struct {
	ID          string
	Name        string
	Type        string
	Coordinator bool
	// Recipients are the actor's age recipients, for answers it asks to be
	// encrypted (Accept: application/age).
	Recipients []string
}

// Purpose is a declared reason for a request; it belongs to one table or to
// none (Table == "").
type Purpose struct {
	Name        string
	Table       string
	Description string
}

// FieldSpec describes one field of the catalogue.
type FieldSpec struct {
	Name   string
	Class  string
	Type   string
	Max    *int64   // string: max length in characters; integer: max value; list: max items
	Min    *int64   // integer: min value
	Values []string // enum: the allowed values
}

// Retention is the retention schedule, in days counted from the last change.
type Retention struct {
	SignalWithoutCase int
	ClosedCase        int
}

// Minors are a cell's stricter defaults for a person under Age years on the
// day of the request (README rule 9). Release replaces the cell's release
// matrix for such a person; the configuration refuses one that releases more
// than the matrix does.
type Minors struct {
	Age     int
	Release map[string]map[string][]string // purpose -> class -> actor types
	// Retention holds the periods minors.retention names, 0 where it names
	// none; retention_list.go applies them.
	Retention Retention
}

// Actor returns the actor with that id.
func (c *Cell) Actor(id string) (Actor, bool) {
	a, ok := c.Actors[id]
	return a, ok
}

// TablesOf returns the tables actor id sits at, in the order of Tables.
func (c *Cell) TablesOf(id string) []string {
	var out []string
	for _, t := range Tables {
		if slices.Contains(c.Tables[t], id) {
			out = append(out, t)
		}
	}
	return out
}

// SitsAt reports whether actor id sits at table.
func (c *Cell) SitsAt(id, table string) bool {
	return slices.Contains(c.Tables[table], id)
}
