package broker

import (
	"slices"
	"strconv"
	"strings"
)

// Which records reach a card (README rule 8: information reaches a case
// conference by a deliberate act).
//
// A record reaches a dossier when the coordinator took it into the dossier
// (a signal listed in Case.SignalIDs: POST /v1/cases or POST
// /v1/cases/{id}/signals), or when it is an observation received while the
// dossier was open (an observation about a person with an open dossier goes
// to that dossier directly; a closed dossier never reopens, so "received at
// or after the dossier's creation, the dossier open now" is "received while
// it was open"). A record of an actor type under secrecy reaches it only
// once its submitter also shared it with that dossier (Case.Shared).
//
// A card draws on the records that reach a dossier in its scope: under
// case_conference an open dossier whose roster holds the requester, under
// another purpose any open dossier of the person (the release matrix says
// what it may show of them). The requester's own organisation's records
// are always drawn on (rule 1): the policy decides whether they are shown
// back. Any other record is not on the card at all, neither released nor
// counted as withheld: a count would tell that someone knows the person.

// reachable returns the records of recs the card of actor, under purpose,
// draws on, in their order. shareTypes are the actor types whose records
// need a share (the policy's Decision.ShareTypes and the cell's Secrecy:
// either suffices, so that a policy that names none does not open them).
func reachable(cell *Cell, recs []Record, dossiers []DossierRoster, actor, purpose string, shareTypes []string) []Record {
	scope := cardScope(dossiers, actor, purpose)
	out := make([]Record, 0, len(recs))
	for _, rec := range recs {
		if rec.Source == actor {
			out = append(out, rec)
			continue
		}
		// An unknown source (an actor since removed from the configuration)
		// cannot be told free of secrecy: it needs a share.
		a, known := cell.Actor(rec.Source)
		needsShare := !known || slices.Contains(shareTypes, a.Type) || slices.Contains(cell.Secrecy, a.Type)
		for _, k := range scope {
			if k.holds(rec) && (!needsShare || k.shared[rec.ID]) {
				out = append(out, rec)
				break
			}
		}
	}
	return out
}

// scoped is a dossier in a card's scope, its lists as sets: a card of
// hundreds of records asks each of them once per record.
type scoped struct {
	DossierRoster
	taken, shared map[string]bool
}

// cardScope returns the open dossiers a card of actor under purpose draws
// on: under case_conference those whose roster holds actor, else all.
func cardScope(dossiers []DossierRoster, actor, purpose string) []scoped {
	var out []scoped
	for _, k := range dossiers {
		if !k.Open() || (purpose == PurposeCaseConference && !slices.Contains(k.Roster, actor)) {
			continue
		}
		s := scoped{DossierRoster: k, taken: make(map[string]bool, len(k.SignalIDs)), shared: make(map[string]bool, len(k.Shared))}
		for _, id := range k.SignalIDs {
			s.taken[id] = true
		}
		for _, id := range k.Shared {
			s.shared[id] = true
		}
		out = append(out, s)
	}
	return out
}

// holds reports whether rec is in the dossier: taken in, or an observation
// received while it was open.
func (k scoped) holds(rec Record) bool {
	return k.taken[rec.ID] || reachesByTime(rec, k.DossierRoster)
}

// reaches reports whether rec is in dossier k: taken into it, or an
// observation received while it was open.
func reaches(rec Record, k DossierRoster) bool {
	return slices.Contains(k.SignalIDs, rec.ID) || reachesByTime(rec, k)
}

// reachesByTime reports whether rec is an observation received while k was
// open: at or after its creation (a closed dossier never reopens).
func reachesByTime(rec Record, k DossierRoster) bool {
	return rec.Kind == KindObservation && !k.CreatedAt.IsZero() && !rec.ReceivedAt.Before(k.CreatedAt)
}

// maxDrawnIDs bounds the record ids a card's audit entry names one by one.
const maxDrawnIDs = 100

// drawnOn is the card's audit reason: the ids of the records whose values
// it released (never a value), in card order, at most maxDrawnIDs of them
// and then how many more.
func drawnOn(card Card, recs []Record) string {
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		for name := range rec.Fields {
			if slices.ContainsFunc(card.Fields[name], func(v CardValue) bool { return v.Record == rec.ID }) {
				ids = append(ids, rec.ID)
				break
			}
		}
	}
	if len(ids) == 0 {
		return "drew on no record"
	}
	more := ""
	if len(ids) > maxDrawnIDs {
		more = " and " + strconv.Itoa(len(ids)-maxDrawnIDs) + " more"
		ids = ids[:maxDrawnIDs]
	}
	return "drew on records " + strings.Join(ids, ",") + more
}
