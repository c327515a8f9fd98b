package audit

// The tree's hashes in tiles, in the layout of C2SP tlog-tiles (height 8):
// the tile at level L and number N holds the hashes of tree level 8L from
// 256N to 256N+255, 32 bytes each, in one Redis string of its own,
// livc:{livc:<cell>}:audit:tile:<L>:<N>. A tile is only ever appended to:
// once it holds 256 hashes it never changes again, and the last tile of a
// level (the partial one) grows by one hash when the level below completes
// 256 more. Hashes of the levels in between are computed from the tile
// below (hashreader.go). An append thus writes one hash to a level-0 tile,
// and one more to a level-L tile every 256^L entries, at any size: no Redis
// value holds more than 8 KiB of the tree.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	// tileHeight is the height of a tile (C2SP tlog-tiles: 8).
	tileHeight = 8
	// tileWidth is the hashes of a full tile.
	tileWidth = 1 << tileHeight
)

// tileKey is the Redis key of the tile of the log key at level L, number n.
func tileKey(key string, level int, n int64) string {
	return key + ":tile:" + strconv.Itoa(level) + ":" + strconv.FormatInt(n, 10)
}

// tileHashes returns, of the stored hashes tlog.StoredHashesForRecordHash
// returns for one record (one per tree level, from level 0), those kept in
// tiles (levels 0, 8, 16, ...), concatenated: what the batch script appends
// for the record, hash j to the tile of level j.
func tileHashes(stored []tlog.Hash) []byte {
	out := make([]byte, 0, tlog.HashSize*(1+len(stored)/tileHeight))
	for j := 0; j < len(stored); j += tileHeight {
		out = append(out, stored[j][:]...)
	}
	return out
}

// tileKeysFor returns the keys of the tiles that appending entries from to
// to-1 may write, and those the batch script checks at any size in between
// (the last tile of each level): at each level from 0 up to the highest that
// has a hash at size to, the tiles from the one of size from to the one of
// size to.
func tileKeysFor(key string, from, to int64) []string {
	var keys []string
	for l := 0; l == 0 || to>>(tileHeight*l) > 0; l++ {
		lo, hi := (from>>(tileHeight*l))>>tileHeight, (to>>(tileHeight*l))>>tileHeight
		for n := lo; n <= hi; n++ {
			keys = append(keys, tileKey(key, l, n))
		}
	}
	return keys
}

// entryTileHashes reads the tiles that hold the tile hashes of entries from
// to to-1 and returns, for each, what tileHashes of its stored hashes
// should be: the bytes the tiles hold for it (short where they hold less).
func entryTileHashes(ctx context.Context, c redis.UniversalClient, key string, from, to int64) ([][]byte, error) {
	want := map[[2]int64]tlog.Tile{}
	for l := 0; l == 0 || to>>(tileHeight*l) > 0; l++ {
		lo, hi := (from>>(tileHeight*l))>>tileHeight, (to>>(tileHeight*l))>>tileHeight
		for n := lo; n <= hi; n++ {
			want[[2]int64{int64(l), n}] = tlog.Tile{H: tileHeight, L: l, N: n, W: tileWidth}
		}
	}
	data, err := readTiles(ctx, c, key, want)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, to-from)
	for i := from; i < to; i++ {
		var b []byte
		for l := 0; l < 8 && (l == 0 || (i+1)%(1<<(tileHeight*l)) == 0); l++ {
			at := i >> (tileHeight * l)
			d := data[[2]int64{int64(l), at >> tileHeight}]
			off := (at % tileWidth) * tlog.HashSize
			if int64(len(d)) < off+tlog.HashSize {
				break
			}
			b = append(b, d[off:off+tlog.HashSize]...)
		}
		out = append(out, b)
	}
	return out, nil
}

// checkTileEnds checks that the log's tiles hold exactly the hashes of a
// tree of size entries: at each level the tile that size ends in holds as
// many hashes as that level has past its last full tile, and the next tile
// is absent. It returns a description of the first difference, "" if none.
func checkTileEnds(ctx context.Context, c redis.UniversalClient, key string, size int64) (string, error) {
	pipe := c.Pipeline()
	type end struct {
		key       string
		want      int64
		last, nxt *redis.IntCmd
	}
	var ends []end
	for l := 0; l == 0 || size>>(tileHeight*l) > 0; l++ {
		count := size >> (tileHeight * l)
		e := end{key: tileKey(key, l, count>>tileHeight), want: (count % tileWidth) * tlog.HashSize}
		e.last = pipe.StrLen(ctx, e.key)
		e.nxt = pipe.Exists(ctx, tileKey(key, l, count>>tileHeight+1))
		ends = append(ends, e)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", err
	}
	for _, e := range ends {
		if got := e.last.Val(); got != e.want {
			return fmt.Sprintf("tile %s holds %d bytes; %d entries need %d", e.key[len(key)+1:], got, size, e.want), nil
		}
		if e.nxt.Val() != 0 {
			return fmt.Sprintf("a tile after %s exists past %d entries", e.key[len(key)+1:], size), nil
		}
	}
	return "", nil
}

// errNoTile is a tile (or entry bundle) the log does not hold (yet).
var errNoTile = errors.New("audit: no such tile")
