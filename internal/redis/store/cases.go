package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// indexLua keeps the per-actor roster index and the aggregate counts in step
// with a dossier. It is prepended to the create and update scripts; P is the
// cell's key prefix, id the dossier's id, seq its creation sequence.
const indexLua = `
local function roster_of(doc)
  if not doc then return {} end
  local r = doc['roster']
  if type(r) ~= 'table' then return {} end
  return r
end
local function open_of(doc)
  return doc and doc['state'] ~= 'closed'
end
local function prio_of(doc)
  local p = doc['priority']
  if type(p) ~= 'number' or p == 0 then return 'none' end
  return tostring(p)
end
local function count(P, doc, by)
  if not doc then return end
  redis.call('HINCRBY', P .. 'stats:cases', 'state:' .. doc['state'], by)
  redis.call('HINCRBY', P .. 'stats:cases', 'category:' .. doc['category'], by)
  redis.call('HINCRBY', P .. 'stats:cases', 'priority:' .. prio_of(doc), by)
end
local function reindex(P, id, seq, old, new)
  local keep = {}
  if open_of(new) then
    for _, a in ipairs(roster_of(new)) do
      keep[a] = true
      redis.call('ZADD', P .. 'actor:' .. a .. ':cases', seq, id)
    end
  end
  for _, a in ipairs(roster_of(old)) do
    if not keep[a] then redis.call('ZREM', P .. 'actor:' .. a .. ':cases', id) end
  end
  count(P, old, -1)
  count(P, new, 1)
end
`

// createCaseScript stores a new dossier and indexes it. KEYS[1] the dossier,
// KEYS[2] the cell's index, KEYS[3] its sequence, KEYS[4] the subject's set;
// ARGV[1] the JSON, ARGV[2] the id, ARGV[3] the cell prefix. It returns 0
// for an id in use.
var createCaseScript = redis.NewScript(indexLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], n, ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
reindex(ARGV[3], ARGV[2], n, nil, cjson.decode(ARGV[1]))
return 1
`)

// updateCaseScript replaces an existing dossier. KEYS[1] the dossier, KEYS[2]
// the new subject's set, KEYS[3] the cell's index; ARGV[1] the JSON, ARGV[2]
// the id, ARGV[3] the new subject ref, ARGV[4] the subject key prefix,
// ARGV[5] the cell prefix. Should the subject change, the id moves between
// subject sets (same hash tag, same slot). The roster index and the counts
// follow the change. It returns 0 for a missing dossier.
var updateCaseScript = redis.NewScript(indexLua + `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local prevdoc = cjson.decode(old)
local prev = prevdoc['subject_ref']
if prev ~= ARGV[3] then
  redis.call('SREM', ARGV[4] .. prev .. ':cases', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
local seq = redis.call('ZSCORE', KEYS[3], ARGV[2])
reindex(ARGV[5], ARGV[2], seq, prevdoc, cjson.decode(ARGV[1]))
return 1
`)

// luaCaseDocs defines case_docs(set, prefix) for a script: the documents of
// the dossiers whose ids are in set, each at prefix..id (the same hash
// slot), skipping an id whose dossier is gone.
const luaCaseDocs = `
local function case_docs(set, prefix)
  local docs = {}
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    local doc = redis.call('GET', prefix .. id)
    if doc then docs[#docs + 1] = doc end
  end
  return docs
end
`

// casesOfSubjectScript reads a subject's dossiers in one round trip.
// KEYS[1] the subject's set of dossier ids; ARGV[1] the prefix of dossier
// keys.
var casesOfSubjectScript = redis.NewScript(luaCaseDocs + `return case_docs(KEYS[1], ARGV[1])`)

// caseKeys returns the cell prefix and the dossier key, refusing a dossier
// without cell, id or subject.
func caseKeys(c broker.Case) (prefix, key string, err error) {
	if prefix, err = cellPrefix(c.Livc); err != nil {
		return "", "", err
	}
	if c.ID == "" || c.SubjectRef == "" {
		return "", "", errors.New("store: case without id or subject")
	}
	return prefix, prefix + "case:" + c.ID, nil
}

// CreateCase stores a new dossier. It refuses an id already in use with a
// broker.Error of KindConflict whose cause is ErrExists.
func (s *Store) CreateCase(ctx context.Context, c broker.Case) error {
	p, key, err := caseKeys(c)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: create case: %w", err)
	}
	keys := []string{key, p + "cases", p + "cases:seq", p + "subject:" + c.SubjectRef + ":cases"}
	n, err := createCaseScript.Run(ctx, s.c, keys, doc, c.ID, p).Int()
	if err != nil {
		return fail("create case", err)
	}
	if n == 0 {
		return broker.Wrap(broker.KindConflict, ErrExists, "case already exists")
	}
	return nil
}

// UpdateCase replaces a dossier that exists, or returns broker.ErrNotFound.
func (s *Store) UpdateCase(ctx context.Context, c broker.Case) error {
	p, key, err := caseKeys(c)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: update case: %w", err)
	}
	keys := []string{key, p + "subject:" + c.SubjectRef + ":cases", p + "cases"}
	n, err := updateCaseScript.Run(ctx, s.c, keys, doc, c.ID, c.SubjectRef, p+"subject:", p).Int()
	if err != nil {
		return fail("update case", err)
	}
	if n == 0 {
		return broker.ErrNotFound
	}
	return nil
}

// Case returns the dossier or broker.ErrNotFound.
func (s *Store) Case(ctx context.Context, livc, id string) (broker.Case, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.Case{}, err
	}
	if id == "" {
		return broker.Case{}, broker.ErrNotFound
	}
	doc, err := s.c.Get(ctx, p+"case:"+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return broker.Case{}, broker.ErrNotFound
	}
	if err != nil {
		return broker.Case{}, fail("case", err)
	}
	var c broker.Case
	if err := json.Unmarshal(doc, &c); err != nil {
		return broker.Case{}, fail("case", errors.New("stored dossier is not valid JSON"))
	}
	return c, nil
}

// CasesOfSubject returns every dossier about the subject, oldest first (by
// creation time, then id); none, and no error, for a subject without any.
// The broker reads them through ReadSubject; this remains for tests and
// tools.
func (s *Store) CasesOfSubject(ctx context.Context, livc, ref string) ([]broker.Case, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	cp, _ := cellPrefix(livc)
	docs, err := casesOfSubjectScript.Run(ctx, s.c, []string{p + "cases"}, cp+"case:").StringSlice()
	if err != nil {
		return nil, fail("cases of subject", err)
	}
	cases, err := decodeCases(docs)
	if err != nil {
		return nil, fail("cases of subject", err)
	}
	return cases, nil
}

// decodeCases decodes stored dossiers, oldest first (by creation time, then
// id).
func decodeCases(docs []string) ([]broker.Case, error) {
	cases := make([]broker.Case, 0, len(docs))
	for _, doc := range docs {
		var c broker.Case
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, errors.New("stored dossier is not valid JSON")
		}
		cases = append(cases, c)
	}
	slices.SortFunc(cases, func(a, b broker.Case) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return cases, nil
}
