package actors

import (
	"fmt"

	"github.com/qunchat/qun/wire"
)

// FanConfig bounds fan groups and creator tools (GroupConfig.Fans).
type FanConfig struct {
	// RecallWindow is how long (ms) a sender may recall their own message;
	// owner and admins may recall any message at any time. Default 2 min.
	RecallWindow int64
	// AtAllPerDay is how many @all mentions a group may post per day (China
	// time). Default 3.
	AtAllPerDay int
	// Divert is the diversion policy of groups that did not choose one
	// (wire.DivertAllow, DivertFlag, DivertMask or DivertBlock). Default
	// wire.DivertMask: contact details are masked unless the host or the
	// group's owner chooses otherwise.
	Divert wire.DivertPolicy
	// MaxNotices is how many creator-notice ids a group remembers for
	// idempotency (the oldest are forgotten first). Default 1000.
	MaxNotices int
	// MaxMentionSeqs is how many unread mention seqs a member keeps per
	// group (the oldest are forgotten first). Default 99.
	MaxMentionSeqs int
}

// DefaultFanConfig returns the defaults documented on FanConfig.
func DefaultFanConfig() FanConfig {
	return FanConfig{RecallWindow: 2 * 60 * 1000, AtAllPerDay: 3, Divert: wire.DivertMask, MaxNotices: 1000, MaxMentionSeqs: 99}
}

// Validate reports a field out of range.
func (c FanConfig) Validate() error {
	switch {
	case c.RecallWindow < 0 || c.RecallWindow > 30*day:
		return fmt.Errorf("actors: Fans.RecallWindow %d not in [0, 30 days]", c.RecallWindow)
	case c.AtAllPerDay < 0:
		return fmt.Errorf("actors: Fans.AtAllPerDay %d < 0", c.AtAllPerDay)
	case c.Divert < wire.DivertAllow || c.Divert > wire.DivertBlock:
		return fmt.Errorf("actors: Fans.Divert %d is not a policy", c.Divert)
	case c.MaxNotices < 1 || c.MaxMentionSeqs < 1:
		return fmt.Errorf("actors: Fans.MaxNotices and MaxMentionSeqs must be >= 1")
	}
	return nil
}
