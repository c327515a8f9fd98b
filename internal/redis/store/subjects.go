package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// LinkSubject returns the ref already linked to any of aliases (the first
// linked one, in the caller's order) or links them all to newRef. It links
// every alias that has no ref yet to the returned ref, in one atomic step,
// so concurrent callers agree. It refuses an empty alias list or newRef.
func (s *Store) LinkSubject(ctx context.Context, livc string, aliases []string, newRef string) (string, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return "", err
	}
	if newRef == "" || len(aliases) == 0 || hasEmpty(aliases) {
		return "", errors.New("store: link subject: empty ref or alias")
	}
	args := make([]any, 0, len(aliases)+2)
	args = append(args, p+"subject:", newRef)
	for _, a := range aliases {
		args = append(args, a)
	}
	ref, err := linkScript.Run(ctx, s.c, []string{p + "aliases"}, args...).Text()
	if err != nil {
		return "", fail("link subject", err)
	}
	return ref, nil
}

// FindSubject returns the ref linked to the first linked alias, in the
// caller's order, or broker.ErrNotFound.
func (s *Store) FindSubject(ctx context.Context, livc string, aliases []string) (string, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return "", err
	}
	if len(aliases) == 0 {
		return "", broker.ErrNotFound
	}
	vals, err := s.c.HMGet(ctx, p+"aliases", aliases...).Result()
	if err != nil {
		return "", fail("find subject", err)
	}
	for _, v := range vals {
		if ref, ok := v.(string); ok && ref != "" {
			return ref, nil
		}
	}
	return "", broker.ErrNotFound
}

// LookupSubject returns, read in one script run, the ref of the first linked
// alias in the caller's order (newRef when none is), what each alias is
// linked to ("" for none), and that ref's wrapped data key (nil for none).
// It writes nothing. It refuses an empty alias list, alias or newRef.
func (s *Store) LookupSubject(ctx context.Context, livc string, aliases []string, newRef string) (broker.SubjectLookup, error) {
	p, err := cellPrefix(livc)
	if err != nil {
		return broker.SubjectLookup{}, err
	}
	if newRef == "" || len(aliases) == 0 || hasEmpty(aliases) {
		return broker.SubjectLookup{}, errors.New("store: lookup subject: empty ref or alias")
	}
	args := make([]any, 0, len(aliases)+2)
	args = append(args, p+"subject:", newRef)
	for _, a := range aliases {
		args = append(args, a)
	}
	var cmd *redis.Cmd
	err = s.reads(p).run(ctx, []*redis.Script{lookupScript}, func(ctx context.Context, tx redis.Pipeliner) []redis.Cmder {
		cmd = lookupScript.EvalSha(ctx, tx, []string{p + "aliases"}, args...)
		return []redis.Cmder{cmd}
	})
	if err != nil {
		return broker.SubjectLookup{}, fail("lookup subject", err)
	}
	reply, err := cmd.Slice()
	if err != nil {
		return broker.SubjectLookup{}, fail("lookup subject", err)
	}
	look, err := lookupReply(reply, len(aliases))
	if err != nil {
		return broker.SubjectLookup{}, fail("lookup subject", err)
	}
	return look, nil
}

// lookupReply takes lookupScript's reply apart.
func lookupReply(reply []any, aliases int) (broker.SubjectLookup, error) {
	if len(reply) != 3 {
		return broker.SubjectLookup{}, fmt.Errorf("a reply of %d parts", len(reply))
	}
	ref, ok := reply[0].(string)
	links, ok2 := reply[1].([]any)
	if !ok || !ok2 || ref == "" || len(links) != aliases {
		return broker.SubjectLookup{}, errors.New("a malformed reply")
	}
	look := broker.SubjectLookup{Ref: ref, Links: make([]string, len(links))}
	for i, l := range links {
		if look.Links[i], ok = l.(string); !ok {
			return broker.SubjectLookup{}, errors.New("a malformed link")
		}
	}
	switch k := reply[2].(type) {
	case string:
		look.Wrapped = []byte(k)
	case nil:
	default:
		return broker.SubjectLookup{}, fmt.Errorf("a data key of type %T", k)
	}
	return look, nil
}

// DataKey returns the subject's wrapped data key, storing wrapped first if
// the subject has none; of concurrent callers the first wins and all get its
// key. It refuses an empty key.
func (s *Store) DataKey(ctx context.Context, livc, ref string, wrapped []byte) ([]byte, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	if len(wrapped) == 0 {
		return nil, errors.New("store: data key: empty key")
	}
	v, err := dataKeyScript.Run(ctx, s.c, []string{p + "datakey"}, wrapped).Text()
	if err != nil {
		return nil, fail("data key", err)
	}
	return []byte(v), nil
}

// ExistingDataKey returns the subject's wrapped data key or broker.ErrNotFound.
func (s *Store) ExistingDataKey(ctx context.Context, livc, ref string) ([]byte, error) {
	p, err := subjectPrefix(livc, ref)
	if err != nil {
		return nil, err
	}
	v, err := s.c.Get(ctx, p+"datakey").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, broker.ErrNotFound
	}
	if err != nil {
		return nil, fail("existing data key", err)
	}
	return v, nil
}

func hasEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}
