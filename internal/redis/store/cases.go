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
