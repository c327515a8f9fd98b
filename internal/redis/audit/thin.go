package audit

import (
	"context"

	"github.com/livc/livc-broker/broker/auditlog"
)

// thinEvery is how many checkpoints are pushed between two thinnings.
const thinEvery = 16

// thin drops the checkpoints of a log that auditlog.Thin does not keep: the
// list then holds the latest KeepCheckpoints and one per size class of the
// older ones, however long the log runs. A checkpoint that does not verify
// with the key is kept (Verify reports it). Thinning is safe while other
// processes push and thin: Thin's choice is stable as the list grows, and a
// note is removed only if still present.
func (l *Log) thin(ctx context.Context, key, origin string) error {
	notes, err := l.c.LRange(ctx, key+":checkpoints", 0, -1).Result()
	if err != nil {
		return err
	}
	sizes := make([]int64, len(notes))
	for i, n := range notes {
		sizes[i] = -1
		if cp, err := auditlog.OpenWith([]byte(n), l.conf.Verifier, origin); err == nil {
			sizes[i] = cp.Size
		}
	}
	var drop []any
	for i, k := range auditlog.Thin(sizes, l.conf.KeepCheckpoints) {
		if !k {
			drop = append(drop, notes[i])
		}
	}
	if len(drop) == 0 {
		return nil
	}
	return dropScript.Run(ctx, l.c, []string{key + ":checkpoints"}, drop...).Err()
}
