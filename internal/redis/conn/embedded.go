package conn

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// StartEmbedded starts an in-process, in-memory Redis (miniredis) on a free
// loopback port and returns its address and a function that stops it.
//
// It exists only so that the broker runs on a laptop without a Redis server:
// the caller opens it with Open("redis://"+addr) and the store and audit log
// then run their ordinary Redis code against it; there is no second store
// implementation. Nothing survives stop or a restart, and the caller should
// say so loudly.
func StartEmbedded() (addr string, stop func(), err error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return "", nil, fmt.Errorf("conn: start embedded Redis: %w", err)
	}
	return m.Addr(), m.Close, nil
}
