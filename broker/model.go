package broker

import (
	"slices"
	"time"
)

// Principal is an authenticated requester: an individual (Sub) acting for an
// actor of a cell. Its type, tables and rosters come from the configuration
// and the store, never from the token.
type Principal struct {
	Sub     string
	Livc    string
	Actor   string
	Expires time.Time
}

// Identity names a person: by national number, or by family name, given
// name and birth date.
type Identity struct {
	NationalNumber string `json:"national_number,omitempty"`
	FamilyName     string `json:"family_name,omitempty"`
	GivenName      string `json:"given_name,omitempty"`
	BirthDate      string `json:"birth_date,omitempty"`
}

// Record kinds.
const (
	KindSignal      = "signal"
	KindObservation = "observation"
)

// Record is one submission about a person, as the pipeline seals it for the
// store. Fields holds validated values: string, int64 or []string. Identity
// fields of the subject are fields of class identity.
type Record struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	SubjectRef string         `json:"subject_ref"`
	Source     string         `json:"source"` // the submitting actor
	Sub        string         `json:"sub"`    // the submitting individual
	ObservedAt time.Time      `json:"observed_at"`
	ReceivedAt time.Time      `json:"received_at"`
	Fields     map[string]any `json:"fields"`
}

// SealedRecord is a record encrypted at rest, as the store keeps it.
type SealedRecord struct {
	ID     string
	Sealed []byte
}

// Case states, in the order of the lifecycle.
const (
	StateRegistration = "registration"
	StateFormation    = "formation"
	StateWeighing     = "weighing"
	StateApproach     = "approach"
	StateEvaluation   = "evaluation"
	StateClosed       = "closed"
)

// Case is a dossier about one person. It holds no field of the person, only
// its pseudonym.
type Case struct {
	ID         string    `json:"id"`
	Livc       string    `json:"livc"`
	SubjectRef string    `json:"subject_ref"`
	SignalIDs  []string  `json:"signal_ids"`
	Category   string    `json:"category"`
	State      string    `json:"state"`
	Roster     []string  `json:"roster"`
	Priority   int       `json:"priority,omitempty"`
	Tasks      []Task    `json:"tasks,omitempty"`
	History    []Move    `json:"history,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Shared lists the records their submitters shared with this dossier
	// (POST /v1/signals/{id}/shares): a record of an actor type under
	// secrecy reaches the roster only once listed here (README rule 8).
	Shared []string `json:"shared,omitempty"`

	// ReviewedAt is the coordinator's last retention review of the closed
	// dossier (cases_review.go); zero for none.
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
}

// Open reports whether the dossier is still being worked.
func (c Case) Open() bool { return c.State != StateClosed }

// CardValue is one released value with its provenance.
type CardValue struct {
	Value  any       `json:"value"`
	Source string    `json:"source"`
	Record string    `json:"record"`
	At     time.Time `json:"at"`
}

// Card is the information card of a person: released fields only.
// Withheld counts the values held back; it is nil, and the answer holds no
// count, unless the requester is on the roster of an open dossier of the
// person (anywhere else a count would tell that others know the person).
type Card struct {
	SubjectRef string                 `json:"subject_ref"`
	Fields     map[string][]CardValue `json:"fields"`
	Withheld   *int                   `json:"withheld,omitempty"`
}

// Decisions recorded in the audit log.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
	DecisionError = "error"
)

// AuditEntry is one entry of the audit log. It holds field names, decisions
// and pseudonyms, never a field value, a token or a plaintext identity.
type AuditEntry struct {
	ID             string    `json:"id"`
	Time           time.Time `json:"time"`
	RequestID      string    `json:"request_id"`
	Livc           string    `json:"livc"`
	Actor          string    `json:"actor"`
	Sub            string    `json:"sub"`
	Action         string    `json:"action"`
	Purpose        string    `json:"purpose"`
	SubjectRef     string    `json:"subject_ref"`
	CaseID         string    `json:"case_id"`
	Record         string    `json:"record,omitempty"` // the record a submission created
	Decision       string    `json:"decision"`
	Released       []string  `json:"released"`
	Withheld       []string  `json:"withheld"`
	PolicyRevision string    `json:"policy_revision"`
	Reason         string    `json:"reason"`
	// Unverified marked a failed login that earlier versions filed under
	// the cell (and actor) its token claimed without proof. No entry is
	// written with it any more; it is kept so that their logs still read
	// and verify.
	Unverified bool `json:"unverified,omitempty"`
	// Client is the address of the client of a refused login (or an IPv6
	// client's network), as the broker saw it: never a claim of the token.
	Client   string `json:"client,omitempty"`
	Index    int64  `json:"index"`
	LeafHash string `json:"leaf_hash,omitempty"`
}

// AuditQuery filters the audit log. Empty fields match everything.
type AuditQuery struct {
	Livc       string
	Actor      string
	Sub        string
	SubjectRef string
	CaseID     string
	Action     string
	Decision   string
	From, To   time.Time
	Cursor     string
	Limit      int
	Descending bool
	// BrokerLog asks, in GET /v1/audit?log=broker, for the broker's own log
	// (refused logins, which trust no claim of their token) instead of the
	// requester's cell's.
	BrokerLog bool
}

// sortedSet sorts names and drops repeats, in place; never nil.
func sortedSet(names []string) []string {
	if names == nil {
		return []string{}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
