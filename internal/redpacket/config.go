package redpacket

import "fmt"

// Config bounds red packets.
type Config struct {
	// MaxCount is the most shares in one packet. Default 200.
	MaxCount int64
	// MaxTotal is the largest packet in cents. Default 20 000 (¥200).
	MaxTotal int64
	// MinSeed is the shortest seed ModeLucky accepts, in bytes. Default 16.
	MinSeed int
}

// Hard limits a Config may not exceed, so that no arithmetic can overflow.
const (
	LimitCount = 100_000
	LimitTotal = 1 << 53
)

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config { return Config{MaxCount: 200, MaxTotal: 20_000, MinSeed: 16} }

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case c.MaxCount < 1 || c.MaxCount > LimitCount:
		return fmt.Errorf("%w: MaxCount %d not in [1, %d]", ErrConfig, c.MaxCount, LimitCount)
	case c.MaxTotal < 1 || c.MaxTotal > LimitTotal:
		return fmt.Errorf("%w: MaxTotal %d not in [1, %d]", ErrConfig, c.MaxTotal, int64(LimitTotal))
	case c.MinSeed < 1 || c.MinSeed > 1024:
		return fmt.Errorf("%w: MinSeed %d not in [1, 1024]", ErrConfig, c.MinSeed)
	}
	return nil
}
