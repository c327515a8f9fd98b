package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
)

// The follow keys, beside a log's stream and in its hash slot, of one
// follower (an output such as a sink file or an alert webhook):
//
//	<stream>:follow:<name>         string  the index of the last entry the follower delivered
//	<stream>:follow:<name>:claim   string  the token of the broker process following (PX: its claim's end)
//
// The index is written only after the follower's output took the entries,
// so a restarted broker goes on where the last one stopped: every entry is
// delivered at least once, in log order.

var followerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// EntriesAfter returns up to n entries of livc's log (the broker's own log
// for "") after index after (-1: from the first), in log order, each with
// its index and leaf hash as stored. A gap (a deleted entry) is an error.
func (l *Log) EntriesAfter(ctx context.Context, livc string, after int64, n int) ([]broker.AuditEntry, error) {
	key, err := l.streamKey(livc)
	if err != nil {
		return nil, err
	}
	if after < -1 || n <= 0 {
		return nil, errors.New("audit: EntriesAfter needs after ≥ -1 and n > 0")
	}
	// Entry i is at stream id 0-(i+1); strictly after entry `after` is from
	// id 0-(after+2).
	msgs, err := l.c.XRangeN(ctx, key, "0-"+strconv.FormatInt(after+2, 10), "+", int64(n)).Result()
	if err != nil {
		return nil, fail("follow", err)
	}
	out := make([]broker.AuditEntry, 0, len(msgs))
	for i, m := range msgs {
		e, err := decode(m)
		if err != nil {
			return nil, fmt.Errorf("audit: follow %s: %w", m.ID, err)
		}
		if e.Index != after+1+int64(i) {
			// A gap is what a deleted entry leaves: the follower must not
			// skip it silently; verify says where.
			return nil, fmt.Errorf("audit: follow: entry %d expected, stream has %d (verify the log)", after+1+int64(i), e.Index)
		}
		out = append(out, e)
	}
	return out, nil
}

func (l *Log) followKey(livc, name string) (string, error) {
	if !followerName.MatchString(name) {
		return "", errors.New("audit: invalid follower name")
	}
	key, err := l.streamKey(livc)
	if err != nil {
		return "", err
	}
	return key + ":follow:" + name, nil
}

// FollowCursor returns the index of the last entry of livc's log the named
// follower delivered, -1 when none.
func (l *Log) FollowCursor(ctx context.Context, livc, name string) (int64, error) {
	key, err := l.followKey(livc, name)
	if err != nil {
		return 0, err
	}
	v, err := l.c.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return -1, nil
	}
	if err != nil {
		return 0, fail("follow cursor", err)
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || i < -1 {
		return 0, fmt.Errorf("audit: follow cursor of %s is not an index", name)
	}
	return i, nil
}

// SetFollowCursor records that the named follower delivered livc's log up
// to index i.
func (l *Log) SetFollowCursor(ctx context.Context, livc, name string, i int64) error {
	key, err := l.followKey(livc, name)
	if err != nil {
		return err
	}
	if err := l.c.Set(ctx, key, strconv.FormatInt(i, 10), 0).Err(); err != nil {
		return fail("follow cursor", err)
	}
	return nil
}

// ClaimFollow claims following livc's log for the named follower for ttl,
// so that of several broker processes one delivers; ok is false while
// another holds it. release gives the claim up only while it is this one's.
// A holder renews by claiming again before ttl runs out (renew).
func (l *Log) ClaimFollow(ctx context.Context, livc, name string, ttl time.Duration) (renew func() bool, release func(), ok bool, err error) {
	key, err := l.followKey(livc, name)
	if err != nil {
		return nil, nil, false, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, nil, false, err
	}
	key, token := key+":claim", hex.EncodeToString(b[:])
	ok, err = l.c.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, nil, false, fail("claim follow", err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	renew = func() bool {
		n, err := renewFollowScript.Run(ctx, l.c, []string{key}, token, ttl.Milliseconds()).Int()
		return err == nil && n == 1
	}
	release = func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = releaseFollowScript.Run(ctx, l.c, []string{key}, token).Err() // it runs out by itself
	}
	return renew, release, true, nil
}
