package auditlog

import "math/bits"

// BucketsPerDoubling is how many checkpoints Thin keeps, at most, between a
// size and its double (past the latest ones): old tampering is located to
// within about 1/BucketsPerDoubling of the log's size at the time.
const BucketsPerDoubling = 16

// bucket names the size class of a checkpoint: every size below
// 2*BucketsPerDoubling is its own class; above, each power-of-two range
// [2^k, 2^(k+1)) is cut into BucketsPerDoubling equal classes.
func bucket(size int64) [2]int64 {
	if size < 2*BucketsPerDoubling {
		return [2]int64{0, size}
	}
	k := int64(bits.Len64(uint64(size))) - 1 // 2^k <= size < 2^(k+1)
	width := int64(1) << (k - 4)             // 2^k / BucketsPerDoubling
	return [2]int64{k, (size - int64(1)<<k) / width}
}

// Thin decides which checkpoints of a log to keep, so that their number
// stays bounded however long the log runs: sizes are the checkpoints' tree
// sizes in list order (oldest first; -1 for one that does not verify with
// the key, which is always kept, as evidence). It keeps the latest ones
// (the last latest of the list) and, of the older ones, the first of each
// size class (see bucket): at most latest + BucketsPerDoubling*(log2(size)-3)
// checkpoints, about 330 for a log of 8 million entries with latest 32.
//
// The decision is stable as the list grows at its end: a checkpoint Thin
// drops stays dropped for every longer list, and the first of a class is
// never dropped; so two processes thinning different snapshots agree.
func Thin(sizes []int64, latest int) []bool {
	keep := make([]bool, len(sizes))
	seen := map[[2]int64]bool{}
	for i, s := range sizes {
		switch {
		case s < 0 || i >= len(sizes)-latest:
			keep[i] = true
		case !seen[bucket(s)]:
			keep[i] = true
			seen[bucket(s)] = true
		}
	}
	return keep
}
