package auditout

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/livc/livc-broker/broker"
)

// Feed is what a Follower needs of the audit log (internal/redis/audit).
type Feed interface {
	// EntriesAfter returns up to n entries of livc's log after index
	// after (-1: from the first), in log order; it fails on a gap.
	EntriesAfter(ctx context.Context, livc string, after int64, n int) ([]broker.AuditEntry, error)
	// FollowCursor returns the index the named follower delivered last (-1
	// when none); SetFollowCursor records it.
	FollowCursor(ctx context.Context, livc, name string) (int64, error)
	SetFollowCursor(ctx context.Context, livc, name string, index int64) error
	// ClaimFollow claims following livc's log for ttl; ok is false while
	// another process holds the claim.
	ClaimFollow(ctx context.Context, livc, name string, ttl time.Duration) (renew func() bool, release func(), ok bool, err error)
}

// Output takes the entries of a log in log order. Deliver returns nil only
// once every entry is kept (written, sent); on an error the Follower hands
// the same entries again later, so an Output must take a repeat.
type Output interface {
	// Name names the output's cursor: a-z, 0-9, - and _, at most 32.
	Name() string
	Deliver(ctx context.Context, livc string, entries []broker.AuditEntry) error
}

// Warmer is an Output that must see, before following, the entries up to
// the cursor it resumes from (an alert detector's window).
type Warmer interface {
	Warm(ctx context.Context, livc string, entries []broker.AuditEntry)
}

// Follower follows logs into one Output.
type Follower struct {
	Feed Feed
	Out  Output
	// Logs are the logs to follow: cell ids, "" for the broker's own log.
	Logs []string
	// Every is how often an idle log is read again; default 1s.
	Every time.Duration
	// Batch bounds the entries of one delivery; default 256.
	Batch int
	// WarmUp bounds the entries read back before the cursor for a Warmer;
	// default 50,000.
	WarmUp int
	Logger *slog.Logger
	// OnError, when set, is told of each failed delivery (metrics).
	OnError func(output string)
}

// Run follows every log until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	if f.Every <= 0 {
		f.Every = time.Second
	}
	if f.Batch <= 0 {
		f.Batch = 256
	}
	if f.WarmUp <= 0 {
		f.WarmUp = 50_000
	}
	if f.Logger == nil {
		f.Logger = slog.Default()
	}
	var wg sync.WaitGroup
	for _, livc := range f.Logs {
		wg.Add(1)
		go func() { defer wg.Done(); f.follow(ctx, livc) }()
	}
	wg.Wait()
}

// claimTTL is how long a claim lasts unrenewed: a broker that dies leaves
// the log to another after at most this.
func (f *Follower) claimTTL() time.Duration { return max(10*f.Every, 5*time.Second) }

// follow claims livc's log and delivers it, claiming again whenever the
// claim is lost, until ctx ends.
func (f *Follower) follow(ctx context.Context, livc string) {
	log := f.Logger.With("output", f.Out.Name(), "livc", livc)
	for ctx.Err() == nil {
		renew, release, ok, err := f.Feed.ClaimFollow(ctx, livc, f.Out.Name(), f.claimTTL())
		if err != nil {
			log.Warn("audit output: cannot claim the log", "err", err)
		}
		if !ok {
			sleep(ctx, f.Every)
			continue
		}
		err = f.deliverAll(ctx, livc, renew)
		release()
		if err != nil && ctx.Err() == nil {
			log.Warn("audit output: stopped following, will claim again", "err", err)
			sleep(ctx, f.Every)
		}
	}
}

// deliverAll delivers livc's log from its cursor while the claim holds.
func (f *Follower) deliverAll(ctx context.Context, livc string, renew func() bool) error {
	cursor, err := f.Feed.FollowCursor(ctx, livc, f.Out.Name())
	if err != nil {
		return err
	}
	if err := f.warm(ctx, livc, cursor); err != nil {
		return err
	}
	// The wait stays under the claim's time so that renewing keeps it.
	backoff := newBackoff(f.Every, f.claimTTL()/2)
	for ctx.Err() == nil {
		entries, err := f.Feed.EntriesAfter(ctx, livc, cursor, f.Batch)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			if err := f.Out.Deliver(ctx, livc, entries); err != nil {
				f.failed(livc, err)
				if !sleep(ctx, backoff.next()) || !renew() {
					return err
				}
				continue
			}
			backoff.reset()
			cursor = entries[len(entries)-1].Index
			if err := f.Feed.SetFollowCursor(ctx, livc, f.Out.Name(), cursor); err != nil {
				return err
			}
		}
		if len(entries) < f.Batch && !sleep(ctx, f.Every) {
			return ctx.Err()
		}
		if !renew() {
			return errClaimLost
		}
	}
	return ctx.Err()
}

func (f *Follower) failed(livc string, err error) {
	f.Logger.Warn("audit output: delivery failed, will retry", "output", f.Out.Name(), "livc", livc, "err", err)
	if f.OnError != nil {
		f.OnError(f.Out.Name())
	}
}

// warm hands a Warmer the entries before cursor, at most WarmUp of them.
func (f *Follower) warm(ctx context.Context, livc string, cursor int64) error {
	w, ok := f.Out.(Warmer)
	if !ok || cursor < 0 {
		return nil
	}
	after := max(-1, cursor-int64(f.WarmUp))
	for after < cursor {
		entries, err := f.Feed.EntriesAfter(ctx, livc, after, int(min(int64(f.Batch), cursor-after)))
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return nil
		}
		w.Warm(ctx, livc, entries)
		after = entries[len(entries)-1].Index
	}
	return nil
}
