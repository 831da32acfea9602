package wire

// Operations for roles, join rules, moderation, announcements, pins,
// discovery and stats. Append-only, continuing ops.go.
const (
	OpUpdateGroup   Op = 11 // UpdateGroupArgs → SeqResult
	OpSetRole       Op = 12 // TargetArgs{Role} → SeqResult (owner only; admin or member)
	OpKick          Op = 13 // TargetArgs → SeqResult
	OpBan           Op = 14 // TargetArgs → SeqResult (removes the member if present)
	OpUnban         Op = 15 // TargetArgs → SeqResult
	OpMute          Op = 16 // TargetArgs{Duration} → SeqResult (Duration 0 = unmute)
	OpMuteAll       Op = 17 // MuteAllArgs → SeqResult
	OpTransferOwner Op = 18 // TargetArgs → SeqResult
	OpDissolve      Op = 19 // GroupArgs → SeqResult
	OpApply         Op = 20 // ApplyArgs → ApplyResult (join a group that needs approval)
	OpReview        Op = 21 // ReviewArgs → SeqResult (approve: seq of the join; reject: 0)
	OpListRequests  Op = 22 // GroupArgs → RequestsResult
	OpCreateInvite  Op = 23 // CreateInviteArgs → InviteResult
	OpRevokeInvite  Op = 24 // RevokeInviteArgs → Empty
	OpInvite        Op = 25 // InviteArgs → SeqResult (adds friends directly)
	OpAnnounce      Op = 26 // AnnounceArgs → SeqResult
	OpAckAnnounce   Op = 27 // GroupArgs → Empty
	OpAnnounceState Op = 28 // GroupArgs → AnnounceStateResult (owner/admins)
	OpPin           Op = 29 // PinArgs → SeqResult
	OpPinGroup      Op = 30 // PinGroupArgs → Empty (the caller's own chat list)
	OpSearch        Op = 31 // SearchArgs → SearchResult
	OpNearby        Op = 32 // NearbyArgs → SearchResult
	OpProfileGroups Op = 33 // UserArgs → SearchResult (groups a user shows on their profile)
	OpShowOnProfile Op = 34 // ShowOnProfileArgs → Empty
	OpGroupStats    Op = 35 // GroupArgs → GroupStats
	OpListInvites   Op = 36 // GroupArgs → InvitesResult
)

func init() {
	for op, n := range map[Op]string{
		OpUpdateGroup: "update_group", OpSetRole: "set_role", OpKick: "kick", OpBan: "ban", OpUnban: "unban",
		OpMute: "mute", OpMuteAll: "mute_all", OpTransferOwner: "transfer_owner", OpDissolve: "dissolve",
		OpApply: "apply", OpReview: "review", OpListRequests: "list_requests", OpCreateInvite: "create_invite",
		OpRevokeInvite: "revoke_invite", OpInvite: "invite", OpAnnounce: "announce", OpAckAnnounce: "ack_announcement",
		OpAnnounceState: "announcement_state", OpPin: "pin", OpPinGroup: "pin_group", OpSearch: "search",
		OpNearby: "nearby", OpProfileGroups: "profile_groups", OpShowOnProfile: "show_on_profile",
		OpGroupStats: "group_stats", OpListInvites: "list_invites",
	} {
		opNames[op] = n
	}
}

// Join policies beyond JoinOpen.
const (
	JoinApproval JoinPolicy = 1 // requests queue for owner/admin review
	JoinInvite   JoinPolicy = 2 // only by invitation or invite code
)

// System event names for group rules (see docs/protocol.md).
const (
	EventUpdated     = "updated"      // profile or settings changed; Text names the fields
	EventRole        = "role"         // Target's role changed; Text "admin" or "member"
	EventKicked      = "kicked"       // Actor removed Target
	EventBanned      = "banned"       // Actor banned Target (removed if a member)
	EventUnbanned    = "unbanned"     //
	EventMuted       = "muted"        // Target muted Until (unix ms)
	EventUnmuted     = "unmuted"      //
	EventMuteAll     = "mute_all"     // Text "on" or "off"
	EventOwner       = "owner"        // ownership passed from Actor to Target
	EventDissolved   = "dissolved"    // the group is closed
	EventInvited     = "invited"      // Actor added Target
	EventAnnounce    = "announcement" // Text is the announcement
	EventPinned      = "pinned"       // Text is the pinned seq
	EventUnpinned    = "unpinned"     //
	EventJoinRequest = "join_request" // sent only to owner and admins as a notice
)

// Profile is a group's public profile. In UpdateGroupArgs a nil field is
// left unchanged.
type Profile struct {
	Name        *string  `msgpack:"name,omitempty"`
	Avatar      *string  `msgpack:"avatar,omitempty"`
	Description *string  `msgpack:"desc,omitempty"`
	Category    *string  `msgpack:"category,omitempty"`
	Location    *GeoArgs `msgpack:"loc,omitempty"`
	Searchable  *bool    `msgpack:"searchable,omitempty"`
}

// GeoArgs is a point with an optional city.
type GeoArgs struct {
	Lat  float64 `msgpack:"lat"`
	Lng  float64 `msgpack:"lng"`
	City string  `msgpack:"city,omitempty"`
}

// UpdateGroupArgs changes profile and settings (owner and admins).
type UpdateGroupArgs struct {
	Group         string      `msgpack:"g"`
	Profile       Profile     `msgpack:"profile"`
	Join          *JoinPolicy `msgpack:"join,omitempty"`
	MembersInvite *bool       `msgpack:"members_invite,omitempty"` // may plain members invite friends
}

// TargetArgs names a member to act on.
type TargetArgs struct {
	Group    string `msgpack:"g"`
	User     string `msgpack:"user"`
	Role     Role   `msgpack:"role,omitempty"`     // OpSetRole
	Duration int64  `msgpack:"duration,omitempty"` // OpMute, milliseconds
}

// MuteAllArgs turns group-wide mute on or off.
type MuteAllArgs struct {
	Group string `msgpack:"g"`
	On    bool   `msgpack:"on"`
}

// ApplyArgs asks to join a group (approval or open policy).
type ApplyArgs struct {
	Group string `msgpack:"g"`
	Note  string `msgpack:"note,omitempty"`
}

// ApplyResult says whether the caller joined at once or waits for review.
type ApplyResult struct {
	Joined  bool   `msgpack:"joined"`
	Seq     uint64 `msgpack:"seq,omitempty"`
	Expires int64  `msgpack:"expires,omitempty"` // when a pending request lapses, unix ms
}

// ReviewArgs approves or rejects a pending request.
type ReviewArgs struct {
	Group   string `msgpack:"g"`
	User    string `msgpack:"user"`
	Approve bool   `msgpack:"approve"`
}

// JoinRequest is one pending request.
type JoinRequest struct {
	User    string `msgpack:"user"`
	Note    string `msgpack:"note,omitempty"`
	At      int64  `msgpack:"at"`
	Expires int64  `msgpack:"expires"`
}

// RequestsResult lists pending requests, oldest first.
type RequestsResult struct {
	Requests []JoinRequest `msgpack:"requests"`
}

// CreateInviteArgs makes an invite code. TTL in ms (0 = the server default),
// MaxUses 0 = unlimited.
type CreateInviteArgs struct {
	Group   string `msgpack:"g"`
	TTL     int64  `msgpack:"ttl,omitempty"`
	MaxUses int    `msgpack:"max_uses,omitempty"`
}

// Invite is an invite code and its limits.
type Invite struct {
	Code    string `msgpack:"code"`
	Creator string `msgpack:"creator"`
	Expires int64  `msgpack:"expires"`
	MaxUses int    `msgpack:"max_uses"`
	Uses    int    `msgpack:"uses"`
}

// InviteResult is a new code.
type InviteResult struct {
	Invite Invite `msgpack:"invite"`
}

// InvitesResult lists live codes.
type InvitesResult struct {
	Invites []Invite `msgpack:"invites"`
}

// RevokeInviteArgs revokes a code.
type RevokeInviteArgs struct {
	Group string `msgpack:"g"`
	Code  string `msgpack:"code"`
}

// InviteArgs adds friends to a group directly.
type InviteArgs struct {
	Group string   `msgpack:"g"`
	Users []string `msgpack:"users"`
}

// AnnounceArgs publishes the group's announcement.
type AnnounceArgs struct {
	Group string `msgpack:"g"`
	Text  string `msgpack:"text"`
}

// Announcement is the group's current announcement.
type Announcement struct {
	Seq  uint64 `msgpack:"seq"`
	Text string `msgpack:"text"`
	By   string `msgpack:"by"`
	At   int64  `msgpack:"at"`
	// Strong marks a strong-notification announcement (fans.go).
	Strong bool `msgpack:"strong,omitempty"`
}

// AnnounceStateResult says who has not acknowledged the announcement.
type AnnounceStateResult struct {
	Announcement *Announcement `msgpack:"announcement"`
	Acked        int           `msgpack:"acked"`
	Unacked      []string      `msgpack:"unacked"`
}

// PinArgs pins (or unpins) a message of the group.
type PinArgs struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
	Unpin bool   `msgpack:"unpin,omitempty"`
}

// PinGroupArgs pins a group to the top of the caller's own chat list.
type PinGroupArgs struct {
	Group string `msgpack:"g"`
	On    bool   `msgpack:"on"`
}

// SearchArgs finds searchable groups by name substring and/or category.
type SearchArgs struct {
	Query    string `msgpack:"q,omitempty"`
	Category string `msgpack:"category,omitempty"`
	Limit    int    `msgpack:"limit,omitempty"` // default 20, max 100
}

// NearbyArgs finds searchable groups within RadiusKm of a point, nearest first.
type NearbyArgs struct {
	Lat      float64 `msgpack:"lat"`
	Lng      float64 `msgpack:"lng"`
	RadiusKm float64 `msgpack:"radius_km"`
	Limit    int     `msgpack:"limit,omitempty"`
}

// GroupCard is a group as discovery shows it.
type GroupCard struct {
	Group      string     `msgpack:"g"`
	Name       string     `msgpack:"name"`
	Avatar     string     `msgpack:"avatar,omitempty"`
	Category   string     `msgpack:"category,omitempty"`
	City       string     `msgpack:"city,omitempty"`
	Owner      string     `msgpack:"owner"`
	Members    int        `msgpack:"members"`
	Join       JoinPolicy `msgpack:"join"`
	DistanceKm float64    `msgpack:"distance_km,omitempty"`
}

// SearchResult lists groups.
type SearchResult struct {
	Groups []GroupCard `msgpack:"groups"`
}

// UserArgs names a user.
type UserArgs struct {
	User string `msgpack:"user"`
}

// ShowOnProfileArgs chooses whether one of the caller's groups shows on their profile.
type ShowOnProfileArgs struct {
	Group string `msgpack:"g"`
	Show  bool   `msgpack:"show"`
}

// GroupStats is what a group's page shows.
type GroupStats struct {
	Group         string  `msgpack:"g"`
	Members       int     `msgpack:"members"`
	Female        int     `msgpack:"female"`
	Active7d      int     `msgpack:"active_7d"`      // members who posted in the last 7 days
	AverageAge    float64 `msgpack:"average_age"`    // over members whose birth year is known
	MsgsYesterday int     `msgpack:"msgs_yesterday"` // messages posted yesterday (UTC day)
	MsgsToday     int     `msgpack:"msgs_today"`
}
