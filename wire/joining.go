package wire

// Joining: creating a group, joining it (open, by code, by request and review, by invitation) and leaving it.

// JoinPolicy says how users get into a group. Append-only.
type JoinPolicy uint8

// Join policies.
const (
	JoinOpen     JoinPolicy = 0 // anyone may join
	JoinApproval JoinPolicy = 1 // requests queue for owner/admin review
	JoinInvite   JoinPolicy = 2 // only by invitation or invite code
)

// CreateGroupArgs creates a group owned by the caller.
type CreateGroupArgs struct {
	Name string     `msgpack:"name"`
	Join JoinPolicy `msgpack:"join,omitempty"`
}

// CreateGroupResult names the new group.
type CreateGroupResult struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
}

// JoinArgs joins an open group, or any group with a valid invite code.
// With Code set, Group may be empty: the code names its group.
type JoinArgs struct {
	Group string `msgpack:"g"`
	Code  string `msgpack:"code,omitempty"`
}

// JoinResult is the seq of the join event and the group's name.
type JoinResult struct {
	Seq  uint64 `msgpack:"seq"`
	Name string `msgpack:"name"`
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
	More     bool          `msgpack:"more,omitempty"` // more are pending than fit one reply (oldest first)
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
