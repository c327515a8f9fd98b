package auditout

import (
	"context"
	"errors"
	"time"
)

var errClaimLost = errors.New("auditout: the claim on the log was lost")

// backoff doubles a wait from its base up to its most.
type backoff struct{ base, most, cur time.Duration }

func newBackoff(base, most time.Duration) *backoff { return &backoff{base: base, most: most} }

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.base
	} else {
		b.cur = min(2*b.cur, b.most)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d, or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
