package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps the server-side records of the web application: sessions and
// sign-ins in progress. Keys are hashes of random ids (sessionKey), never
// the ids the browser holds, so that a copy of the store gives no cookie.
// A record expires by itself after its ttl; every method fails closed (an
// error means: no session).
type Store interface {
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the record, or ok false when there is none (or it expired).
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Take returns the record and deletes it in one step, so that a sign-in
	// in progress is completed at most once.
	Take(ctx context.Context, key string) (value []byte, ok bool, err error)
	Delete(ctx context.Context, key string) error
}

// RedisStore keeps the records in Redis, under a prefix; several brokers on
// one Redis share the sessions.
type RedisStore struct {
	Client redis.UniversalClient
	Prefix string // default "livc:web:"
}

func (s RedisStore) key(k string) string {
	if s.Prefix == "" {
		return "livc:web:" + k
	}
	return s.Prefix + k
}

// Put implements Store.
func (s RedisStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.Client.Set(ctx, s.key(key), value, ttl).Err()
}

// Get implements Store.
func (s RedisStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return redisValue(s.Client.Get(ctx, s.key(key)).Bytes())
}

// Take implements Store with GETDEL.
func (s RedisStore) Take(ctx context.Context, key string) ([]byte, bool, error) {
	return redisValue(s.Client.GetDel(ctx, s.key(key)).Bytes())
}

// Delete implements Store.
func (s RedisStore) Delete(ctx context.Context, key string) error {
	return s.Client.Del(ctx, s.key(key)).Err()
}

func redisValue(b []byte, err error) ([]byte, bool, error) {
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// MemoryStore keeps the records in the broker's memory: for the embedded
// store of development, where nothing survives a restart anyway. Expired
// records are dropped as they are met and by a sweep on every hundredth Put.
type MemoryStore struct {
	mu   sync.Mutex
	m    map[string]memRecord
	puts int
	Now  func() time.Time // default time.Now
}

type memRecord struct {
	value   []byte
	expires time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]memRecord{}} }

func (s *MemoryStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.m[key] = memRecord{value: append([]byte(nil), value...), expires: now.Add(ttl)}
	if s.puts++; s.puts%100 == 0 {
		for k, r := range s.m {
			if !now.Before(r.expires) {
				delete(s.m, k)
			}
		}
	}
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(key)
}

func (s *MemoryStore) get(key string) ([]byte, bool, error) {
	r, ok := s.m[key]
	if !ok {
		return nil, false, nil
	}
	if !s.now().Before(r.expires) {
		delete(s.m, key)
		return nil, false, nil
	}
	return append([]byte(nil), r.value...), true, nil
}

// Take implements Store.
func (s *MemoryStore) Take(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok, err := s.get(key)
	delete(s.m, key)
	return v, ok, err
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
