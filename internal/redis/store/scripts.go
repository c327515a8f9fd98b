package store

// The store's Lua scripts: what each needs and returns. Redis runs a script
// alone, so each is one atomic step; every key it touches is declared in
// KEYS or, where its name depends on what the script reads, derived from an
// ARGV prefix carrying the cell's hash tag (the same slot).

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// linkScript links aliases to one ref atomically.
// KEYS[1] the cell's alias hash; ARGV[1] the subject key prefix, ARGV[2] the
// new ref, ARGV[3..] the aliases, strongest first. It returns the ref of the
// first alias already linked, else the new ref, and links every unlinked
// alias to it; an alias linked to another ref keeps its link. The per-ref
// alias set is addressed from ARGV[1]: it carries the same hash tag as
// KEYS[1], hence the same slot, but its name depends on the ref found.
var linkScript = redis.NewScript(linkSubjectLua)

// lookupScript reads what a submission needs about a person, at one moment.
// KEYS[1] the cell's alias hash; ARGV[1] the subject key prefix, ARGV[2] the
// new ref, ARGV[3..] the aliases. It returns the ref of the first linked
// alias (else the new ref), what each alias is linked to (an empty string for none), and
// that ref's data key (false for none). The data key is addressed from
// ARGV[1], in the same slot as KEYS[1], as in linkScript.
var lookupScript = redis.NewScript(lookupSubjectLua)

// dataKeyScript is SET NX that returns the winner. KEYS[1] the data key,
// ARGV[1] the candidate.
var dataKeyScript = redis.NewScript(dataKeyLua)

// casScript replaces KEYS[1] with ARGV[2] only if it still holds ARGV[1].
var casScript = redis.NewScript(replaceDataKeyLua)

// caseIndexLua keeps the per-actor roster index and the aggregate counts in
// step with a dossier (reindex). It is prepended to the create and update scripts; P is the
// cell's key prefix, id the dossier's id, seq its creation sequence.
//
// caseDocsLua defines case_docs(set, prefix) for a script: the documents of
// the dossiers whose ids are in set, each at prefix..id (the same hash
// slot), skipping an id whose dossier is gone.
var (
	//go:embed lua/case_index.lua
	caseIndexLua string
	//go:embed lua/case_docs.lua
	caseDocsLua string
)

// createCaseScript stores a new dossier and indexes it. KEYS[1] the dossier,
// KEYS[2] the cell's index, KEYS[3] its sequence, KEYS[4] the subject's set;
// ARGV[1] the JSON, ARGV[2] the id, ARGV[3] the cell prefix. It returns 0
// for an id in use.
var createCaseScript = redis.NewScript(caseIndexLua + createCaseLua)

// updateCaseScript replaces an existing dossier. KEYS[1] the dossier, KEYS[2]
// the new subject's set, KEYS[3] the cell's index; ARGV[1] the JSON, ARGV[2]
// the id, ARGV[3] the new subject ref, ARGV[4] the subject key prefix,
// ARGV[5] the cell prefix. Should the subject change, the id moves between
// subject sets (same hash tag, same slot). The roster index and the counts
// follow the change. It returns 0 for a missing dossier.
var updateCaseScript = redis.NewScript(caseIndexLua + updateCaseLua)

// casesOfSubjectScript reads a subject's dossiers in one round trip.
// KEYS[1] the subject's set of dossier ids; ARGV[1] the prefix of dossier
// keys.
var casesOfSubjectScript = redis.NewScript(caseDocsLua + casesOfSubjectLua)

// putRecordScript stores a record and, the first time its id is seen, appends
// the id to the order list. KEYS[1] the records hash, KEYS[2] the id list;
// ARGV[1] the id, ARGV[2] the sealed bytes.
var putRecordScript = redis.NewScript(putRecordLua)

// rosterRecordsScript returns the subject's records, as {ids, sealed}, when
// actor is on the roster of an open dossier of the subject (one of the
// subject's dossiers is in the actor's roster index), else nil: the card
// read of a roster member, which reads every record whatever the decision,
// then takes one round trip, and anyone else's read costs a lookup per
// dossier, never per record. KEYS[1] the subject's dossier set, KEYS[2] the
// actor's roster index, KEYS[3] the record order, KEYS[4] the records.
var rosterRecordsScript = redis.NewScript(rosterRecordsLua)

// eraseScript deletes everything of one subject in one step. KEYS[1] the
// cell's alias hash, KEYS[2] data key, KEYS[3] records, KEYS[4] record ids,
// KEYS[5] the subject's alias set, KEYS[6] its dossier set; ARGV[1] the ref.
// An alias is unlinked only if it still points at ref. It returns the
// deleted data key, or false when the subject had nothing at all.
var eraseScript = redis.NewScript(eraseSubjectLua)

// The scripts' sources, one file each under lua/ (lua_subjects_test.go and
// lua_cases_test.go run each against Redis).
var (
	//go:embed lua/link_subject.lua
	linkSubjectLua string
	//go:embed lua/lookup_subject.lua
	lookupSubjectLua string
	//go:embed lua/data_key.lua
	dataKeyLua string
	//go:embed lua/replace_data_key.lua
	replaceDataKeyLua string
	//go:embed lua/create_case.lua
	createCaseLua string
	//go:embed lua/update_case.lua
	updateCaseLua string
	//go:embed lua/cases_of_subject.lua
	casesOfSubjectLua string
	//go:embed lua/put_record.lua
	putRecordLua string
	//go:embed lua/roster_records.lua
	rosterRecordsLua string
	//go:embed lua/erase_subject.lua
	eraseSubjectLua string
)
