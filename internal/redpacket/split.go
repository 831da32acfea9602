package redpacket

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/qunchat/qun/internal/drbg"
)

// Mode is how a packet is split. The numbers are stable.
type Mode uint8

// Modes.
const (
	ModeLucky Mode = 1 // random shares, WeChat's double-average bound
	ModeEqual Mode = 2 // equal shares, remainder to the first shares
)

// String names the mode as ParseMode reads it.
func (m Mode) String() string {
	switch m {
	case ModeLucky:
		return "lucky"
	case ModeEqual:
		return "equal"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMode reads "lucky" or "equal".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "lucky":
		return ModeLucky, nil
	case "equal":
		return ModeEqual, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrMode, s)
}

// Errors. Each names the bound that was broken.
var (
	ErrTotal    = errors.New("redpacket: total must be positive")
	ErrCount    = errors.New("redpacket: count out of range")
	ErrTooSmall = errors.New("redpacket: total below one cent per share")
	ErrTooLarge = errors.New("redpacket: total above the cap")
	ErrMode     = errors.New("redpacket: unknown split mode")
	ErrSeed     = errors.New("redpacket: seed too short")
	ErrConfig   = errors.New("redpacket: bad config")
)

// domain keeps the red-packet stream apart from other uses of drbg.
const domain = "qun-redpacket-v1"

// Split splits with DefaultConfig.
func Split(total, n int64, mode Mode, seed []byte) ([]int64, error) {
	return DefaultConfig().Split(total, n, mode, seed)
}

// Check validates a packet against the bounds without splitting it.
func (c Config) Check(total, n int64) error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case total <= 0:
		return fmt.Errorf("%w: %d", ErrTotal, total)
	case n < 1 || n > c.MaxCount:
		return fmt.Errorf("%w: %d not in [1, %d]", ErrCount, n, c.MaxCount)
	case total < n:
		return fmt.Errorf("%w: %d cents for %d shares", ErrTooSmall, total, n)
	case total > c.MaxTotal:
		return fmt.Errorf("%w: %d > %d cents", ErrTooLarge, total, c.MaxTotal)
	}
	return nil
}

// Split returns the n shares of a packet of total cents. The seed is used by
// ModeLucky only (at least MinSeed bytes) and makes the split reproducible.
func (c Config) Split(total, n int64, mode Mode, seed []byte) ([]int64, error) {
	if err := c.Check(total, n); err != nil {
		return nil, err
	}
	switch mode {
	case ModeEqual:
		shares := make([]int64, n)
		base, rem := total/n, total%n
		for i := range shares {
			shares[i] = base
			if int64(i) < rem {
				shares[i]++
			}
		}
		return shares, nil
	case ModeLucky:
		if len(seed) < c.MinSeed {
			return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrSeed, len(seed), c.MinSeed)
		}
		return lucky(total, n, seed), nil
	}
	return nil, fmt.Errorf("%w: %d", ErrMode, uint8(mode))
}

// lucky is the double-average split of the package doc.
func lucky(total, n int64, seed []byte) []int64 {
	s := drbg.New(domain, seed)
	shares := make([]int64, n)
	r := total
	for i := int64(0); i < n-1; i++ {
		k := n - i
		hi := r/k*2 + (r%k)*2/k // ⌊2r/k⌋ without overflow
		hi = min(hi, r-(k-1))
		share := 1 + int64(s.Below(uint64(hi)))
		shares[i] = share
		r -= share
	}
	shares[n-1] = r
	return shares
}

// NewSeed returns 32 random bytes for a lucky packet.
func NewSeed() ([]byte, error) {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("redpacket: seed: %w", err)
	}
	return seed, nil
}

// Luckiest returns the index of the largest share (手气最佳), the earliest on
// a tie, or -1 for no shares.
func Luckiest(shares []int64) int {
	best := -1
	for i, s := range shares {
		if best < 0 || s > shares[best] {
			best = i
		}
	}
	return best
}
