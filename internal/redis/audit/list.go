package audit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// Page sizes, as docs/api.md sets them.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// List returns the entries of q.Livc's stream (the broker stream for "")
// that match every non-empty filter of q, in log order or, with
// q.Descending, newest first; at most q.Limit (default 100, at most 1000).
// From is inclusive and To exclusive, on the entry's Time.
//
// It returns a cursor to continue from, "" when the stream is exhausted. The
// cursor is opaque to clients; it names the last entry examined, and the next
// page starts strictly after (or, descending, before) it, so following
// cursors yields every matching entry exactly once, entries appended
// meanwhile included when ascending.
//
// Bounded work: one page reads the stream in chunks of 500 and stops after
// examining 10,000 entries, returning what matched so far (possibly nothing)
// with a cursor. A selective filter over a long stream thus answers each page
// promptly; the client follows the cursor until it is "".
func (l *Log) List(ctx context.Context, q broker.AuditQuery) ([]broker.AuditEntry, string, error) {
	key, err := l.streamKey(q.Livc)
	if err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	last, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	out := []broker.AuditEntry{}
	for scanned := 0; scanned < l.scanBudget; {
		count := int64(min(l.chunk, l.scanBudget-scanned))
		msgs, err := l.read(ctx, key, last, count, q.Descending)
		if err != nil {
			return nil, "", fail("list", err)
		}
		for i, m := range msgs {
			scanned++
			last = m.ID
			e, err := decode(m)
			if err != nil {
				return nil, "", fail("list", err)
			}
			if !matches(q, e) {
				continue
			}
			if out = append(out, e); len(out) == limit {
				if i == len(msgs)-1 && int64(len(msgs)) < count {
					return out, "", nil // the stream ends here
				}
				return out, encodeCursor(last), nil
			}
		}
		if int64(len(msgs)) < count {
			return out, "", nil
		}
	}
	return out, encodeCursor(last), nil
}

// read returns up to count messages strictly after (descending: before) the
// stream id after, or from the start (end) when after is "".
func (l *Log) read(ctx context.Context, key, after string, count int64, desc bool) ([]redis.XMessage, error) {
	if desc {
		end := "+"
		if after != "" {
			end = "(" + after
		}
		return l.c.XRevRangeN(ctx, key, end, "-", count).Result()
	}
	start := "-"
	if after != "" {
		start = "(" + after
	}
	return l.c.XRangeN(ctx, key, start, "+", count).Result()
}

// decode turns a stream message back into the entry it holds, with the leaf
// hash as stored (a verifier compares it with LeafHash of the entry bytes).
func decode(m redis.XMessage) (broker.AuditEntry, error) {
	var e broker.AuditEntry
	doc, ok := m.Values["entry"].(string)
	if !ok {
		return e, errors.New("audit message without entry")
	}
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return e, errors.New("audit entry is not valid JSON")
	}
	e.LeafHash, _ = m.Values["leaf"].(string)
	return e, nil
}

func matches(q broker.AuditQuery, e broker.AuditEntry) bool {
	for _, f := range [][2]string{
		{q.Actor, e.Actor}, {q.Sub, e.Sub}, {q.SubjectRef, e.SubjectRef},
		{q.CaseID, e.CaseID}, {q.Action, e.Action}, {q.Decision, e.Decision},
	} {
		if f[0] != "" && f[0] != f[1] {
			return false
		}
	}
	if !q.From.IsZero() && e.Time.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !e.Time.Before(q.To) {
		return false
	}
	return true
}

const cursorPrefix = "a1."

var streamID = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

func encodeCursor(id string) string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// CheckCursor implements broker.Auditor: the error decodeCursor gives c.
func (l *Log) CheckCursor(c string) error {
	_, err := decodeCursor(c)
	return err
}

// decodeCursor returns the stream id of a cursor, "" for none, or a
// KindInvalid error naming "cursor" for anything that is not a cursor of
// this package.
func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	bad := broker.Invalid("cursor", "is not a cursor of this list")
	raw, ok := strings.CutPrefix(c, cursorPrefix)
	if !ok || len(raw) > 64 {
		return "", bad
	}
	id, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	// The round trip refuses what the decoder tolerates (newlines, stray
	// bits), so that one position has exactly one cursor.
	if err != nil || !streamID.Match(id) || encodeCursor(string(id)) != c {
		return "", bad
	}
	return string(id), nil
}
