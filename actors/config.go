package actors

import "fmt"

// GroupConfig bounds a group's behaviour. The engine fills it from its config.
type GroupConfig struct {
	// MaxMembers is the member limit of a new group unless the host says
	// otherwise. Default 200.
	MaxMembers int
	// MaxText is the longest text body in bytes. Default 4096.
	MaxText int
	// DedupWindow is how long (ms) a (sender, client message id) pair is
	// remembered for idempotent retries. Default 5 minutes.
	DedupWindow int64
	// DedupMax caps remembered pairs per group. Default 10000.
	DedupMax int
	// PageMax caps messages per history page. Default 200.
	PageMax int
	// SnapshotEvery is how many events pass between snapshots. Default 1000.
	SnapshotEvery int
	// MaxReplyBytes bounds the encoded size of one reply or push frame, so
	// frames stay under the protocol's frame limit. Default 60 KiB.
	MaxReplyBytes int
	// MaxAdmins is how many admins a group may have besides its owner.
	// Default 10.
	MaxAdmins int
	// MaxPins is how many messages a group may pin. Default 10.
	MaxPins int
	// InviteTTL is the default lifetime (ms) of an invite code; codes live
	// at most 30 days. Default 7 days.
	InviteTTL int64
	// MaxInvites bounds live invite codes per group. Default 100.
	MaxInvites int
	// RequestTTL is how long (ms) a join request waits for review.
	// Default 7 days.
	RequestTTL int64
	// MaxRequests bounds pending join requests per group. Default 1000.
	MaxRequests int
	// MaxAnnounce bounds an announcement's text in bytes. Default 2000.
	MaxAnnounce int
	// DeleteOnDissolve drops a dissolved group's history; otherwise it stays
	// readable by its former members. Default false.
	DeleteOnDissolve bool
	// Categories, if not empty, is the list a group's category must come
	// from. Default empty (any category up to 32 bytes).
	Categories []string
	// Fans bounds fan groups and creator tools. Default DefaultFanConfig().
	Fans FanConfig
	// Room bounds live rooms. Default DefaultRoomConfig().
	Room RoomConfig
}

// DefaultGroupConfig returns the defaults documented on GroupConfig.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		MaxMembers: 200, MaxText: 4096, DedupWindow: 5 * 60 * 1000, DedupMax: 10000,
		PageMax: 200, SnapshotEvery: 1000, MaxReplyBytes: 60 << 10,
		MaxAdmins: 10, MaxPins: 10, InviteTTL: 7 * day, MaxInvites: 100, RequestTTL: 7 * day,
		MaxRequests: 1000, MaxAnnounce: 2000, Fans: DefaultFanConfig(), Room: DefaultRoomConfig(),
	}
}

// Validate reports a field out of range.
func (c GroupConfig) Validate() error {
	switch {
	case c.MaxMembers < 2:
		return fmt.Errorf("actors: MaxMembers %d < 2", c.MaxMembers)
	case c.MaxText < 1:
		return fmt.Errorf("actors: MaxText %d < 1", c.MaxText)
	case c.DedupWindow < 0 || c.DedupMax < 0:
		return fmt.Errorf("actors: negative dedup bound")
	case c.PageMax < 1:
		return fmt.Errorf("actors: PageMax %d < 1", c.PageMax)
	case c.SnapshotEvery < 1:
		return fmt.Errorf("actors: SnapshotEvery %d < 1", c.SnapshotEvery)
	case c.MaxReplyBytes < 4096:
		return fmt.Errorf("actors: MaxReplyBytes %d < 4096", c.MaxReplyBytes)
	case c.MaxAdmins < 0 || c.MaxPins < 0 || c.MaxInvites < 0 || c.MaxRequests < 0:
		return fmt.Errorf("actors: negative group limit")
	case c.InviteTTL <= 0 || c.InviteTTL > 30*day || c.RequestTTL <= 0:
		return fmt.Errorf("actors: InviteTTL must be in (0, 30 days], RequestTTL > 0")
	case c.MaxAnnounce < 1:
		return fmt.Errorf("actors: MaxAnnounce %d < 1", c.MaxAnnounce)
	}
	if err := c.Fans.Validate(); err != nil {
		return err
	}
	return c.Room.Validate()
}

// day is one day in milliseconds.
const day = 24 * 60 * 60 * 1000

// Limits of group operations that are part of the protocol (bytes unless
// said otherwise).
const (
	MaxNameLen     = 100 // group name
	MaxCMIDLen     = 64  // client message id
	MaxAvatarLen   = 512
	MaxDescLen     = 1000
	MaxCategoryLen = 32
	MaxCityLen     = 64
	MaxNoteLen     = 200 // a join request's note
	MaxInviteBatch = 50  // users invited in one call
	MaxMuteMillis  = 30 * day
	MaxCodeLen     = 100  // invite code
	MaxUnackedList = 1000 // user ids an announcement state lists
	maxTargetLen   = 64   // a target user id
	maxMembersPage = 500  // members per page, and join requests listed
)
