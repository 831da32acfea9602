package wire

// Op is a request operation code. Append-only: never renumber or reuse.
type Op uint16

// Operations.
const (
	OpCreateGroup Op = 1  // CreateGroupArgs → CreateGroupResult
	OpGroupInfo   Op = 2  // GroupArgs → GroupInfo
	OpJoin        Op = 3  // JoinArgs → JoinResult
	OpLeave       Op = 4  // GroupArgs → SeqResult
	OpSend        Op = 5  // SendArgs → SendResult
	OpHistory     Op = 6  // HistoryArgs → HistoryResult
	OpMembers     Op = 7  // MembersArgs → MembersResult
	OpMyGroups    Op = 8  // Empty → MyGroupsResult
	OpMarkRead    Op = 9  // MarkReadArgs → Empty
	OpResync      Op = 10 // ResyncArgs → ResyncResult (missed messages arrive as Push/Gap frames first)
)

var opNames = map[Op]string{
	OpCreateGroup: "create_group", OpGroupInfo: "group_info", OpJoin: "join", OpLeave: "leave",
	OpSend: "send", OpHistory: "history", OpMembers: "members", OpMyGroups: "my_groups",
	OpMarkRead: "mark_read", OpResync: "resync",
}

func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return "op_" + itoa(uint64(o))
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// Empty is an argument or result with no fields.
type Empty struct{}

// JoinPolicy says how users get into a group. Append-only.
type JoinPolicy uint8

// Join policies.
const (
	JoinOpen JoinPolicy = 0 // anyone may join
)

// Role of a member. Append-only.
type Role uint8

// Roles.
const (
	RoleMember Role = 0
	RoleAdmin  Role = 1
	RoleOwner  Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleOwner:
		return "owner"
	case RoleAdmin:
		return "admin"
	}
	return "member"
}

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

// GroupArgs names a group.
type GroupArgs struct {
	Group string `msgpack:"g"`
}

// GroupInfo describes a group.
type GroupInfo struct {
	Group     string     `msgpack:"g"`
	Name      string     `msgpack:"name"`
	Owner     string     `msgpack:"owner"`
	Created   int64      `msgpack:"created"`
	Members   int        `msgpack:"members"`
	MaxMember int        `msgpack:"max_members"`
	LastSeq   uint64     `msgpack:"last_seq"`
	LastTime  int64      `msgpack:"last_ts"`
	Join      JoinPolicy `msgpack:"join"`
	// Added for group rules.
	Avatar        string        `msgpack:"avatar,omitempty"`
	Description   string        `msgpack:"desc,omitempty"`
	Category      string        `msgpack:"category,omitempty"`
	Location      *GeoArgs      `msgpack:"loc,omitempty"`
	Searchable    bool          `msgpack:"searchable"`
	MembersInvite bool          `msgpack:"members_invite"`
	MuteAll       bool          `msgpack:"mute_all"`
	Admins        []string      `msgpack:"admins,omitempty"`
	Announcement  *Announcement `msgpack:"announcement,omitempty"`
	Pins          []uint64      `msgpack:"pins,omitempty"`
	Dissolved     bool          `msgpack:"dissolved,omitempty"`
	YourRole      *Role         `msgpack:"your_role,omitempty"`   // absent for non-members
	MutedUntil    int64         `msgpack:"muted_until,omitempty"` // the caller's own mute
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

// SeqResult is the seq of the system event an operation wrote.
type SeqResult struct {
	Seq uint64 `msgpack:"seq"`
}

// SendArgs posts a message. CMID is the sender's client message id: a retry
// with the same CMID returns the first seq and posts nothing new.
type SendArgs struct {
	Group string  `msgpack:"g"`
	CMID  string  `msgpack:"cmid"`
	Type  MsgType `msgpack:"type"`
	Body  Body    `msgpack:"body"`
}

// SendResult is sent only after the message is durable.
type SendResult struct {
	Seq  uint64 `msgpack:"seq"`
	Time int64  `msgpack:"ts"`
	Dup  bool   `msgpack:"dup,omitempty"` // true if this CMID was already posted
}

// HistoryArgs pages a group's history. With After present (even 0): the
// messages after that seq, ascending. Without it: the newest messages before
// Before (absent or 0 = latest), returned ascending. Limit defaults to 50 and
// is capped at 200 (and by the frame size).
type HistoryArgs struct {
	Group  string  `msgpack:"g"`
	After  *uint64 `msgpack:"after,omitempty"`
	Before uint64  `msgpack:"before,omitempty"`
	Limit  int     `msgpack:"limit,omitempty"`
}

// After returns a pointer to seq, for HistoryArgs.After.
func After(seq uint64) *uint64 { return &seq }

// HistoryResult is one page. More says whether further messages exist in the
// direction of the page.
type HistoryResult struct {
	Msgs    []Message `msgpack:"msgs"`
	More    bool      `msgpack:"more"`
	LastSeq uint64    `msgpack:"last_seq"`
}

// MembersArgs pages the member list, ordered by user id, starting after After.
type MembersArgs struct {
	Group string `msgpack:"g"`
	After string `msgpack:"after,omitempty"`
	Limit int    `msgpack:"limit,omitempty"`
}

// Member is one member of a group.
type Member struct {
	User   string `msgpack:"user"`
	Role   Role   `msgpack:"role"`
	Joined int64  `msgpack:"joined"`
}

// MembersResult is one page of members.
type MembersResult struct {
	Members []Member `msgpack:"members"`
	Total   int      `msgpack:"total"`
	Next    string   `msgpack:"next,omitempty"` // pass as After for the next page; "" at the end
}

// MyGroup is one entry of the caller's group list.
type MyGroup struct {
	Group    string `msgpack:"g"`
	Name     string `msgpack:"name"`
	LastSeq  uint64 `msgpack:"last_seq"`
	ReadSeq  uint64 `msgpack:"read_seq"`
	Unread   uint64 `msgpack:"unread"`
	LastTime int64  `msgpack:"last_ts"`
	Pinned   bool   `msgpack:"pinned,omitempty"`
	// Mentioned counts messages after ReadSeq that mention the caller
	// (by name or @all).
	Mentioned int `msgpack:"mentioned,omitempty"`
}

// MyGroupsResult lists the caller's groups, pinned first, then by last activity.
type MyGroupsResult struct {
	Groups []MyGroup `msgpack:"groups"`
}

// MarkReadArgs moves the caller's read position in a group forward.
type MarkReadArgs struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
}

// ResyncArgs states the last seq the client holds for each group.
type ResyncArgs struct {
	Groups map[string]uint64 `msgpack:"groups"`
}

// ResyncGroup says where a group stands after a resync.
type ResyncGroup struct {
	Group   string `msgpack:"g"`
	LastSeq uint64 `msgpack:"last_seq"`
	Sent    int    `msgpack:"sent"`          // messages pushed before this reply
	Gap     bool   `msgpack:"gap,omitempty"` // a Gap frame was sent: fetch history
	Code    Code   `msgpack:"code,omitempty"`
}

// ResyncResult answers a resync after the missed messages were pushed.
type ResyncResult struct {
	Groups []ResyncGroup `msgpack:"groups"`
}
