package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// ListCases returns one page of dossiers in q's scope, oldest first: for
// broker.ScopeCell every dossier of the cell (its index), for
// broker.ScopeRoster the open dossiers whose roster holds q.Actor (that
// actor's index, kept by CreateCase and UpdateCase). It reads one index
// range and the page's dossiers, whatever the number of dossiers outside
// the scope. The cursor is the creation sequence of the last dossier
// returned; "" when there is no more. An unknown scope or a malformed cursor
// is an error.
func (s *Store) ListCases(ctx context.Context, q broker.CaseQuery) ([]broker.Case, string, error) {
	p, err := cellPrefix(q.Livc)
	if err != nil {
		return nil, "", err
	}
	index, err := scopeIndex(p, q)
	if err != nil {
		return nil, "", err
	}
	min := "-inf"
	if q.Cursor != "" {
		if _, err := strconv.ParseUint(q.Cursor, 10, 63); err != nil {
			return nil, "", errors.New("store: list cases: malformed cursor")
		}
		min = "(" + q.Cursor
	}
	limit := q.Limit
	if limit <= 0 {
		limit = broker.DefaultLimit
	}
	zs, err := s.c.ZRangeByScoreWithScores(ctx, index, &redis.ZRangeBy{
		Min: min, Max: "+inf", Offset: 0, Count: int64(limit) + 1,
	}).Result()
	if err != nil {
		return nil, "", fail("list cases", err)
	}
	next := ""
	if len(zs) > limit {
		zs = zs[:limit]
		next = strconv.FormatInt(int64(zs[limit-1].Score), 10)
	}
	if len(zs) == 0 {
		return []broker.Case{}, "", nil
	}
	keys := make([]string, len(zs))
	for i, z := range zs {
		keys[i] = p + "case:" + z.Member.(string)
	}
	docs, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, "", fail("list cases", err)
	}
	out := make([]broker.Case, 0, len(docs))
	for _, d := range docs {
		doc, ok := d.(string)
		if !ok {
			continue
		}
		var c broker.Case
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, "", fail("list cases", errors.New("stored dossier is not valid JSON"))
		}
		out = append(out, c)
	}
	return out, next, nil
}

// scopeIndex returns the index of the dossiers in q's scope, in the cell of
// prefix p: the cell's for broker.ScopeCell, q.Actor's roster index for
// broker.ScopeRoster; an error for another scope or an actor id that could
// name another key.
func scopeIndex(p string, q broker.CaseQuery) (string, error) {
	switch q.Scope {
	case broker.ScopeCell:
		return p + "cases", nil
	case broker.ScopeRoster:
		if q.Actor == "" || strings.ContainsAny(q.Actor, "{}:") {
			return "", errors.New("store: list cases: invalid actor")
		}
		return p + "actor:" + q.Actor + ":cases", nil
	default:
		return "", errors.New("store: list cases: unknown scope")
	}
}

// CaseCounts returns the cell's aggregate counts, read from two hashes.
// Zero counts are left out.
func (s *Store) CaseCounts(ctx context.Context, livc string) (broker.Counts, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.Counts{}, err
	}
	var cases, sigs, bySource *redis.MapStringStringCmd
	_, err = s.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		cases = tx.HGetAll(ctx, p+"stats:cases")
		sigs = tx.HGetAll(ctx, p+"stats:signals")
		bySource = tx.HGetAll(ctx, p+"stats:signals:source")
		return nil
	})
	if err != nil {
		return broker.Counts{}, fail("case counts", err)
	}
	c := broker.Counts{ByState: map[string]int{}, ByCategory: map[string]int{},
		ByPriority: map[string]int{}, SignalsByMonth: map[string]int{}, SignalsBySource: map[string]map[string]int{}}
	for k, v := range cases.Val() {
		n, err := strconv.Atoi(v)
		if err != nil {
			return broker.Counts{}, fail("case counts", errors.New("stored count is not a number"))
		}
		if n == 0 {
			continue
		}
		kind, name, _ := strings.Cut(k, ":")
		switch kind {
		case "state":
			c.ByState[name] = n
		case "category":
			c.ByCategory[name] = n
		case "priority":
			c.ByPriority[name] = n
		}
	}
	for k, v := range sigs.Val() {
		n, err := strconv.Atoi(v)
		if err != nil {
			return broker.Counts{}, fail("case counts", errors.New("stored count is not a number"))
		}
		if n != 0 {
			c.SignalsByMonth[k] = n
		}
	}
	for k, v := range bySource.Val() {
		n, err := strconv.Atoi(v)
		month, source, ok := strings.Cut(k, "/")
		if err != nil || !ok {
			return broker.Counts{}, fail("case counts", errors.New("stored count by source is malformed"))
		}
		if n == 0 {
			continue
		}
		if c.SignalsBySource[month] == nil {
			c.SignalsBySource[month] = map[string]int{}
		}
		c.SignalsBySource[month][source] = n
	}
	return c, nil
}

// CountSignal adds one to the signals of month (YYYY-MM).
func (s *Store) CountSignal(ctx context.Context, livc, month string) error {
	p, err := cellPrefix(livc)
	if err != nil {
		return err
	}
	if len(month) != 7 {
		return errors.New("store: count signal: month is not YYYY-MM")
	}
	if err := s.c.HIncrBy(ctx, p+"stats:signals", month, 1).Err(); err != nil {
		return fail("count signal", err)
	}
	return nil
}
