package broker

import (
	"context"
	"errors"
)

// One transaction per write.
//
// A request that changes the store does not audit first and store after: the
// store plans the write (WritePlanner) without performing it, and the audit
// log performs the plan and appends the request's allow entry in one step
// (Committer). Either both are stored or neither is: there is no state in
// which a record exists without the entry that allowed it, or an entry
// claims a write that is not there. A plan carries the preconditions it was
// made under (the person's data key the record is sealed under, the aliases
// as they were linked, the dossier as it was loaded, an id not yet in use);
// when one no longer holds at commit, nothing is written and the commit
// fails, ErrStale for "plan again" or a KindConflict error.

// Write is a change to the store, planned by a WritePlanner and performed by
// a Committer with its audit entry. What it holds is the adapters' business.
type Write interface {
	// Cell is the cell the write belongs to; it must be its entry's.
	Cell() string
}

// ErrStale is the cause of a commit that did not happen because what its plan
// was made from changed in between (a concurrent write): plan again.
var ErrStale = errors.New("the store changed since the write was planned")

// Committer appends an allow entry and performs its write in one step.
type Committer interface {
	// Commit writes e to the log and performs w, both or neither, and sets
	// e.Index (and e.LeafHash). On an error neither is stored: a broker.Error
	// whose cause is ErrStale or of KindConflict when a precondition of w
	// failed, of KindInternal when w cannot be performed (a key of the wrong
	// type), of KindUnavailable when the log is.
	Commit(ctx context.Context, e *AuditEntry, w Write) error
}

// RecordWrite is a sealed record to store about a person.
type RecordWrite struct {
	Livc, Ref string
	// Aliases, for a signal, are linked to Ref. The plan holds only while
	// they stand as the planner read them, the first linked one (in order)
	// linked to Ref; the unlinked ones get linked to Ref.
	Aliases []string
	// Links, when set, is what each alias was linked to ("" for none) as
	// LookupSubject read it; the planner then plans from it instead of
	// reading the links again. The plan's checks hold it at commit.
	Links []string
	// Key is the data key Record is sealed under.
	Key    KeyUse
	Record SealedRecord
	// Source is the actor that submitted Record. The store indexes the
	// record under it (an actor id, no value of the person), so that a card
	// read finds a requester's own records without reading anyone else's
	// (Store.ReadScope); with Month it also counts the signal as one of that
	// month's signals of that actor (stats leave out a requester's own).
	Source string
	// Month, when set (YYYY-MM), counts the record as a signal of that month.
	Month string
	// Intake, for a signal, is its entry in the coordinator's intake.
	Intake *SignalEntry
	// Envelope, when set, binds the envelope the record came in to its
	// submitter; the plan holds while the envelope is unbound.
	Envelope *EnvelopeBinding
}

// KeyUse is the data key a write's sealed bytes are sealed under: the
// person's key, which must still be theirs at commit, or, when Fresh, a new
// key the write stores, which holds only while the person has none. The zero
// value seals nothing.
type KeyUse struct {
	Wrapped []byte
	Fresh   bool
}

// WritePlanner plans the store's writes for a Committer. A planner may read
// the store; it writes nothing.
type WritePlanner interface {
	// PlanRecord plans storing w.Record. It returns ErrStale when the
	// aliases no longer name w.Ref first.
	PlanRecord(ctx context.Context, w RecordWrite) (Write, error)
	// PlanCreateCase plans a new dossier, its indexes and counts; it holds
	// while its id is unused (else KindConflict) and its signals stored.
	PlanCreateCase(ctx context.Context, c Case) (Write, error)
	// PlanUpdateCase plans replacing prev, as it was loaded, by next, its
	// indexes and counts following; it holds while the dossier is still
	// prev (else ErrStale).
	// Texts newly sealed in next are sealed under key.
	PlanUpdateCase(ctx context.Context, prev, next Case, key KeyUse) (Write, error)
	// PlanTakeSignals plans replacing dossier prev, as loaded, by next (as
	// PlanUpdateCase) and moving the signals taken, as read from the
	// intake, to in_dossier with next's id. It holds while the dossier is
	// still prev, and each signal still stored and in the state it was read
	// in (else ErrStale).
	PlanTakeSignals(ctx context.Context, prev, next Case, taken []SignalEntry) (Write, error)
	// PlanErase plans erasing a person: data key, records, alias links and
	// dossier links. It returns the data key the plan deletes (nil if none),
	// or ErrNotFound when the person has nothing stored.
	PlanErase(ctx context.Context, livc, ref string) (w Write, wrapped []byte, err error)
	// PlanSignalState plans moving signal e, as read, to state to; it
	// holds while e is still in e.State.
	PlanSignalState(ctx context.Context, livc string, e SignalEntry, to string) (Write, error)
	// PersonSealed reads what person ref holds sealed under their data
	// key (signals_rekey.go); an unknown person is an empty PersonSealed.
	PersonSealed(ctx context.Context, livc, ref string) (PersonSealed, error)
	// PlanWithdraw plans withdrawing signal e, as read: its record
	// deleted, its envelope spent, its state withdrawn, and the person
	// re-keyed as rk says (rk.Now replacing rk.Was, which must still be
	// what the store holds). ErrNotFound when the signal is gone.
	PlanWithdraw(ctx context.Context, livc string, e SignalEntry, rk Rekey) (Write, error)
}

// maxReplans bounds the plans of one write whose preconditions keep changing.
const maxReplans = 5

// write commits the request's allow entry with the write plan returns. Only
// after it returns nil is anything stored, and then both the write and the
// entry are. When the store changed since the plan, it plans again, up to
// replans times, then answers 409. A plan error is audited as the refusal it
// is; a failed commit is audited too (a deny or error entry, no write), but
// for an unavailable log, where nothing at all could be written.
func (c *call) write(ctx context.Context, replans int, plan func() (Write, error)) error {
	if err := c.refused(ctx); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		w, err := plan()
		if err != nil {
			return c.fail(ctx, err)
		}
		c.entry.Decision = DecisionAllow
		// Like an append (see call.append), a write with its entry does not
		// end with the request's context: begun, it is committed and
		// audited, or refused and audited, even if the client has gone.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditDetached)
		err = c.s.c.Audit.Commit(cctx, &c.entry, w)
		cancel()
		switch {
		case err == nil:
			c.req.AuditID = c.entry.ID
			return nil
		case errors.Is(err, ErrStale) && attempt < replans:
			continue
		case errors.Is(err, ErrStale):
			return c.fail(ctx, Wrap(KindConflict, err, "the data changed while this request was handled; try again"))
		case KindOf(err) == KindUnavailable:
			c.req.AuditID = ""
			return Wrap(KindUnavailable, err, "the audit log is unavailable; nothing was stored or released")
		default:
			return c.fail(ctx, err)
		}
	}
}
