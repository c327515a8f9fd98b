package broker

import (
	"context"
	"net/netip"
	"time"
)

// The pipeline's dependencies, each implemented by one adapter under
// internal/ (or keys/); tests of this package may fake them, but the proof
// that a feature works runs against the real adapters (test/). Most are a
// method or a few; Store is not: it is the store adapter's whole read side,
// grouped below by what it reads.

// Authenticator verifies an access token. It returns an error for any token
// that is not valid for this broker: the pipeline answers 401 to all of them
// alike. It does not check that the actor exists in the cell; the pipeline
// does, from the configuration. The error's text is audited as the reason
// of the refusal, so it is a category of the adapter's own (an expired
// token, a bad signature...), never a part or a claim of the token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// EnvelopeOpener decrypts an age envelope (binary or armored) addressed to one
// of the broker's identities. It returns at most limit bytes of plaintext and
// an error for anything else: not age, a wrong recipient, tampering, a
// truncated or oversized payload.
type EnvelopeOpener interface {
	Open(envelope []byte, limit int64) ([]byte, error)
	// Digest names an envelope Open accepted by what only its author could
	// have made (the header's MAC and the payload), the same for its binary
	// and armored forms and however it is re-encoded: a submission is bound
	// to its submitter by it (EnvelopeBinding). An envelope Open refuses is
	// an error.
	Digest(envelope []byte) (string, error)
}

// Pseudonymizer turns identities into keyed pseudonyms, so that the store
// never holds a name or a national number.
type Pseudonymizer interface {
	// Aliases returns one keyed pseudonym per way the identity names the
	// person (national number; family name, given name and birth date), the
	// strongest first. It returns none for an identity that names no one.
	Aliases(livc string, id Identity) []string
}

// Sealer encrypts records at rest under a data key of their person, wrapped by
// the broker's key-encryption keys.
type Sealer interface {
	// NewDataKey returns a fresh data key, wrapped.
	NewDataKey() (wrapped []byte, err error)
	// Seal encrypts plaintext under the wrapped data key, bound to additional.
	Seal(wrapped, additional, plaintext []byte) ([]byte, error)
	// Open reverses Seal; any tampering or a wrong key is an error.
	Open(wrapped, additional, sealed []byte) ([]byte, error)
	// Opener is Open bound to one wrapped data key, unwrapped (or found)
	// once, for the records of one person; a wrong key is its error.
	Opener(wrapped []byte) (func(additional, sealed []byte) ([]byte, error), error)
}

// Store keeps subjects, their sealed records, the intake and dossiers. It
// never sees a plaintext field. Missing items are ErrNotFound. The pipeline
// only reads through it: every write is planned (WritePlanner) and
// committed with its audit entry (Committer), in one step. Each read is
// shaped for its use case and takes one round trip.
type Store interface {
	WritePlanner
	SubjectReader
	IntakeReader
	CaseReader
	MeetingStore   // cases_meetings.go
	RetentionStore // retention_list.go
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// SubjectReader reads persons: their pseudonyms' links, data keys and
// sealed records.
type SubjectReader interface {
	// FindSubject returns the ref linked to any of aliases, or ErrNotFound.
	FindSubject(ctx context.Context, livc string, aliases []string) (string, error)
	// ExistingDataKey returns the subject's wrapped data key or ErrNotFound.
	ExistingDataKey(ctx context.Context, livc, ref string) ([]byte, error)
	// LookupSubject reads in one read what a submission about the person
	// named by aliases needs (SubjectLookup); newRef is the ref the person
	// gets when none of its aliases is linked yet. It writes nothing.
	LookupSubject(ctx context.Context, livc string, aliases []string, newRef string) (SubjectLookup, error)
	// Records returns every sealed record of the subject, oldest first.
	Records(ctx context.Context, livc, ref string) ([]SealedRecord, error)
	// HasRecord reports whether the subject has a record with that id.
	HasRecord(ctx context.Context, livc, ref, id string) (bool, error)
	// ReadSubject returns what the card read needs about the subject (its
	// dossiers' states and rosters, its records, its data key) in one read
	// that sees the store at one moment: one round trip for a networked
	// store. An unknown subject is an empty SubjectData, not an error.
	ReadSubject(ctx context.Context, livc, ref string) (SubjectData, error)
	// ReadScope returns what decides a card read before any record is
	// read: the subject's dossiers' states and rosters, the ids of the
	// records actor submitted (SubjectData.Own, in stored order) and its
	// wrapped data key, in one read; with them every record (AllRead) when
	// actor is on the roster of an open dossier of the subject. Otherwise
	// its cost never depends on the records of other actors. An unknown
	// subject is an empty SubjectData.
	ReadScope(ctx context.Context, livc, ref, actor string) (SubjectData, error)
	// SealedRecords returns the subject's sealed records with ids, in the
	// order of ids; an id without its record (erased meanwhile) is left out.
	SealedRecords(ctx context.Context, livc, ref string, ids []string) ([]SealedRecord, error)
}

// IntakeReader reads the coordinator's intake of signals and what each
// envelope was submitted as.
type IntakeReader interface {
	// EnvelopeBinding returns what the envelope of that digest was
	// submitted as, or ErrNotFound for an envelope never submitted.
	EnvelopeBinding(ctx context.Context, livc, digest string) (EnvelopeBinding, error)
	// ListSignals returns one page of the cell's intake, newest first, and
	// the cursor of the next page ("" on the last). Its cost depends on
	// the page, never on signals outside q's state.
	ListSignals(ctx context.Context, q SignalQuery) ([]SignalEntry, string, error)
	// Signal returns the intake entry of one signal, or ErrNotFound.
	Signal(ctx context.Context, livc, id string) (SignalEntry, error)
}

// CaseReader reads dossiers and the cell's aggregate counts.
type CaseReader interface {
	// Case returns one dossier of the cell, or ErrNotFound.
	Case(ctx context.Context, livc, id string) (Case, error)
	// ListCases returns one page of the dossiers in q's scope, in creation
	// order, and the cursor of the next page ("" on the last). Its cost
	// depends on the page, never on dossiers outside the scope.
	ListCases(ctx context.Context, q CaseQuery) ([]Case, string, error)
	// CaseCounts returns the cell's aggregate counts, kept as dossiers and
	// signals are written, without reading any dossier.
	CaseCounts(ctx context.Context, livc string) (Counts, error)
}

// Auditor appends to and reads the audit log.
type Auditor interface {
	// Commit appends an allow entry with the write it allows (commit.go).
	Committer
	// Append writes e to the log and sets e.Index (and e.LeafHash where the
	// log computes one). It returns only once the entry is in the log; an
	// error means it is not, and the pipeline then releases and stores
	// nothing.
	Append(ctx context.Context, e *AuditEntry) error
	// List returns entries matching q in log order (or newest first), and
	// the cursor of the next page, "" on the last.
	List(ctx context.Context, q AuditQuery) ([]AuditEntry, string, error)
	// CheckCursor returns a KindInvalid error naming "cursor" for a
	// cursor List would refuse ("" is none, and fine), so that a request
	// is refused before it is allowed. It does no I/O.
	CheckCursor(cursor string) error
	// Ping reports whether the log is reachable.
	Ping(ctx context.Context) error
}

// DecisionInput is what the policy decides from. The pipeline fills it from
// the configuration and the store, never from the token beyond the actor id.
type DecisionInput struct {
	Livc    string         `json:"livc"`
	Action  string         `json:"action"`
	Purpose string         `json:"purpose"`
	Actor   DecisionActor  `json:"actor"`
	Subject *SubjectScope  `json:"subject,omitempty"`
	Case    *CaseScope     `json:"case,omitempty"`
	Target  map[string]any `json:"target,omitempty"` // action-specific, e.g. roster actors
}

// DecisionActor is the requester's actor as the configuration describes it.
type DecisionActor struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Tables      []string `json:"tables"`
	Coordinator bool     `json:"coordinator"`
}

// SubjectScope tells the policy how the requester stands to a person.
type SubjectScope struct {
	OpenCase bool `json:"open_case"` // some dossier about the person is open
	OnRoster bool `json:"on_roster"` // the requester's actor is on the roster of an open one
	// Minor tells that the person is under the cell's minors.age on the day
	// of the request (MinorOn): the policy then releases by minors.release.
	Minor bool `json:"minor"`
}

// CaseScope tells the policy how the requester stands to a dossier.
type CaseScope struct {
	State    string `json:"state"`
	OnRoster bool   `json:"on_roster"`
}

// Decision is the policy's answer. The zero value denies everything.
type Decision struct {
	Allow bool `json:"allow"`
	// Classes are the field classes released to the requester.
	Classes []string `json:"classes"`
	// Own allows the requester's actor to be shown back what it submitted.
	Own bool `json:"own"`
	// Reasons explain a deny, for the audit log.
	Reasons []string `json:"reasons"`
	// Scope is, for case.list, which dossiers the requester sees:
	// ScopeCell, ScopeRoster, or "" (none).
	Scope string `json:"scope"`
	// WithheldFields are field names a cell's own rules withhold even where
	// their class is released: a deny overrides an allow.
	WithheldFields []string `json:"withheld_fields"`
	Revision       string   `json:"-"`
	// ShareTypes are, for card.read, the actor types whose records reach a
	// dossier's roster only once their submitter shares them with it (the
	// cell's secrecy, README rule 8).
	ShareTypes []string `json:"share_types"`
}

// The scopes of a case.list decision.
const (
	ScopeCell   = "cell"   // every dossier of the cell
	ScopeRoster = "roster" // the open dossiers whose roster holds the requester
)

// Decider evaluates the policy once per request. An undefined result, an
// error or a timeout is an error, and the pipeline denies.
type Decider interface {
	Decide(ctx context.Context, in DecisionInput) (Decision, error)
}

// RateLimiter bounds how often principals may make requests.
type RateLimiter interface {
	// Allow takes one request of p's at now from the budgets p is under,
	// or takes nothing and returns a KindRateLimited *Error whose
	// RetryAfter says when the budget that refused holds one again and
	// whose Detail, client-safe, says whose budget it is.
	Allow(p Principal, now time.Time) error
}

// AuthFailCounter decides which refused logins (401) are audited one by
// one and counts the others per client, in memory bounded whatever the
// addresses, for a summary once per Window (RunAuthFailSummaries). A
// refused token proves nothing: only the client's address is trusted.
type AuthFailCounter interface {
	// Admit reports whether a refused login from addr (the zero Addr when
	// unknown) at now is audited one by one; if not, it counts it.
	Admit(addr netip.Addr, now time.Time) bool
	// Drain takes the counts of the window that ends at now and starts the
	// next: the clients with most first, then one count for the rest
	// (Others); none when nothing was counted.
	Drain(now time.Time) (since time.Time, counts []ClientCount)
	// PutBack returns a count the log refused to the window under way.
	PutBack(c ClientCount)
	// Window is the time between two summaries.
	Window() time.Duration
}

// ClientCount is what one summary of refused logins says: N refusals of
// Client (an address, or an IPv6 network; the zero Prefix when unknown)
// over the rate, or of all the other clients together (Others).
type ClientCount struct {
	Client netip.Prefix
	N      int64
	Others bool
}
