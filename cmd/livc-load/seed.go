package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/keys"
)

// recordsPerPerson is the size of every seeded person's card: one signal of
// each of the eight submitting actors of the demo cell.
const recordsPerPerson = 8

// seeder writes persons straight through the store adapter, as the broker
// would have stored them after submissions: aliases linked to the subject
// ref the key ring derives, a wrapped data key, eight records sealed under
// it, and one open dossier whose roster holds pz and ocmw. It skips the HTTP
// pipeline (and so the audit log) only to make a million records affordable.
type seeder struct {
	store *store.Store
	kr    *keys.Keyring
	livc  string
	refs  []string // every seeded person, in seeding order
	mu    sync.Mutex
}

// person returns the identity of the i-th seeded person: a made-up name and
// a birth date, so that no two persons share a pseudonym.
func person(i int) broker.Identity {
	return broker.Identity{
		FamilyName: fmt.Sprintf("Load%07d", i), GivenName: "Person",
		BirthDate: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%20000).Format(time.DateOnly),
	}
}

// seed adds persons [from, to) with workers goroutines and returns how long
// it took.
func (s *seeder) seed(ctx context.Context, from, to, workers int) (time.Duration, error) {
	start := time.Now()
	var next atomic.Int64
	next.Store(int64(from))
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to || ctx.Err() != nil {
					return
				}
				ref, err := s.one(ctx, i)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("seeding person %d: %w", i, err) })
					return
				}
				s.mu.Lock()
				s.refs = append(s.refs, ref)
				s.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return time.Since(start), firstErr
}

// one seeds the i-th person and returns its subject ref.
func (s *seeder) one(ctx context.Context, i int) (string, error) {
	aliases := s.kr.Aliases(s.livc, person(i))
	ref, err := s.store.LinkSubject(ctx, s.livc, aliases, broker.NewSubjectRef())
	if err != nil {
		return "", err
	}
	fresh, err := s.kr.NewDataKey()
	if err != nil {
		return "", err
	}
	wrapped, err := s.store.DataKey(ctx, s.livc, ref, fresh)
	if err != nil {
		return "", err
	}
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	// Every record is taken into the dossier and the social service's and
	// the school's (bound by secrecy) shared with it, so that the roster's
	// card draws on all of them (README rule 8), as a worked dossier's does.
	var ids, shared []string
	for _, sub := range submissions {
		rec := broker.Record{
			ID: broker.NewID("sig"), Kind: broker.KindSignal, SubjectRef: ref,
			Source: sub.actor, Sub: sub.actor + "-seed", ObservedAt: at, ReceivedAt: at,
			Fields: sub.fields,
		}
		ids = append(ids, rec.ID)
		if sub.actor == "ocmw" || sub.actor == "clb" {
			shared = append(shared, rec.ID)
		}
		sr, err := broker.SealRecord(s.kr, wrapped, s.livc, rec)
		if err != nil {
			return "", err
		}
		if err := s.store.PutRecord(ctx, s.livc, ref, sr); err != nil {
			return "", err
		}
	}
	now := time.Now().UTC()
	err = s.store.CreateCase(ctx, broker.Case{
		ID: broker.NewID("case"), Livc: s.livc, SubjectRef: ref, SignalIDs: ids, Shared: shared,
		Category: "radicalisation", State: broker.StateRegistration, Roster: []string{"pz", "ocmw"},
		CreatedBy: "preventie", CreatedAt: now, UpdatedAt: now,
	})
	return ref, err
}

// submissions are the eight records of every seeded person; the police on
// the roster may see every class of them but care (the health note).
var submissions = []struct {
	actor  string
	fields map[string]any
}{
	{"ocmw", map[string]any{"signal_text": "a signal of about a hundred characters, as a social worker would type it in a hurry", "family_situation": "single parent, three children", "health_note": "follow-up at the clinic", "presence": "absent"}},
	{"clb", map[string]any{"school_absence_days": 37, "presence": "absent"}},
	{"jeugddienst", map[string]any{"indicators": []string{"withdrawn", "new online contacts"}, "guidance_trajectory": "weekly meeting with a youth worker"}},
	{"pz", map[string]any{"police_record": "two reports of vandalism", "administrative_measure": "none"}},
	{"vsse", map[string]any{"threat_level": 2}},
	{"parket", map[string]any{"judicial_measure": "none pending"}},
	{"unizo", map[string]any{"sector_signal": "seen at the market", "presence": "present"}},
	{"preventie", map[string]any{"address": "Kerkstraat 1, Zonnedaal"}},
}
