package keys

import (
	"errors"
	"fmt"
	"time"
)

// Defaults and bounds of Conf.
const (
	DefaultCacheSize = 4096
	DefaultCacheTTL  = 5 * time.Minute
	maxCacheSize     = 1 << 20
	maxCacheTTL      = 24 * time.Hour

	// DefaultEpochPeriod is how long data keys are wrapped under one epoch
	// key before a newer epoch starts (see epoch.go).
	DefaultEpochPeriod = 24 * time.Hour
	minEpochPeriod     = time.Second
	maxEpochPeriod     = 90 * 24 * time.Hour
)

// Conf configures a Keyring.
type Conf struct {
	// Dir is the key directory (see the package documentation).
	Dir string
	// CacheSize bounds how many unwrapped data keys stay in memory.
	CacheSize int
	// CacheTTL bounds how long an unwrapped data key stays in memory after
	// it was unwrapped, so an erased person's key is forgotten soon even if
	// Forget is not called.
	CacheTTL time.Duration
	// EpochPeriod is how long one epoch lasts: EpochDue reports true once the
	// current epoch is that old. Default one day.
	EpochPeriod time.Duration
	// Now is the clock of epochs, of retired identities' not-after times and
	// of the cache; default time.Now. Tests inject one.
	Now func() time.Time
}

// WithDefaults returns c with zero settings replaced by their defaults.
func (c Conf) WithDefaults() Conf {
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.EpochPeriod == 0 {
		c.EpochPeriod = DefaultEpochPeriod
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first setting out of bounds. Call it on
// WithDefaults' result.
func (c Conf) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("keys: no key directory")
	case c.CacheSize < 1 || c.CacheSize > maxCacheSize:
		return fmt.Errorf("keys: cache size %d out of [1, %d]", c.CacheSize, maxCacheSize)
	case c.CacheTTL < time.Second || c.CacheTTL > maxCacheTTL:
		return fmt.Errorf("keys: cache TTL %s out of [1s, %s]", c.CacheTTL, maxCacheTTL)
	case c.EpochPeriod < minEpochPeriod || c.EpochPeriod > maxEpochPeriod:
		return fmt.Errorf("keys: epoch period %s out of [%s, %s]", c.EpochPeriod, minEpochPeriod, maxEpochPeriod)
	}
	return nil
}
