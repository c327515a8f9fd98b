package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/plan"
)

// A dossier's case conferences (broker/cases_meetings.go):
//
//	livc:{livc:<cell>}:case:<id>:meetings   list   the conferences, oldest first, each a JSON broker.Meeting (minutes sealed)
//
// Apart from the dossier's document, so that the reads of a card, which
// read the documents, do not read minutes. Deleted with the dossier
// (eraseDossiers, retention).

// meetingsKey is the key of dossier id's conferences.
func meetingsKey(p, id string) string { return p + "case:" + id + ":meetings" }

// Meetings returns the dossier's conferences, oldest first.
func (s *Store) Meetings(ctx context.Context, livc, caseID string) ([]broker.Meeting, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, broker.ErrNotFound
	}
	docs, err := s.c.LRange(ctx, meetingsKey(p, caseID), 0, -1).Result()
	if err != nil {
		return nil, fail("meetings", err)
	}
	out := make([]broker.Meeting, 0, len(docs))
	for _, doc := range docs {
		var m broker.Meeting
		if err := json.Unmarshal([]byte(doc), &m); err != nil || m.ID == "" {
			return nil, fail("meetings", errors.New("a stored meeting is not valid JSON"))
		}
		out = append(out, m)
	}
	return out, nil
}

// PlanMeeting plans appending m to dossier k's conferences. It holds while
// the dossier's document is k's encoding as loaded, its list holds n
// conferences, and key is the person's data key.
func (s *Store) PlanMeeting(ctx context.Context, k broker.Case, m broker.Meeting, n int, key broker.KeyUse) (broker.Write, error) {
	p, ck, err := caseKeys(k)
	if err != nil {
		return nil, err
	}
	if m.ID == "" || len(m.Sealed) == 0 || len(key.Wrapped) == 0 || key.Fresh {
		return nil, errors.New("store: plan meeting: no id, minutes or key")
	}
	was, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("store: plan meeting: %w", err)
	}
	doc, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("store: plan meeting: %w", err)
	}
	write := &plan.Plan{Livc: k.Livc}
	write.Check(plan.Check{Kind: plan.KindEqual, Key: ck, Values: []string{string(was)}})
	write.Check(plan.Check{Kind: plan.KindCount, Key: meetingsKey(p, k.ID), N: int64(n)})
	planKey(write, p+"subject:"+k.SubjectRef+":", key)
	write.Do("RPUSH", meetingsKey(p, k.ID), string(doc))
	return write, write.Validate()
}
