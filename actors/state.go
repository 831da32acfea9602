package actors

import "github.com/qunchat/qun/wire"

type memberState struct {
	Role       wire.Role `msgpack:"r"`
	Joined     int64     `msgpack:"j"`
	MutedUntil int64     `msgpack:"m,omitempty"`
	Gender     uint8     `msgpack:"x,omitempty"`
	BirthYear  int       `msgpack:"b,omitempty"`
	LastDay    int64     `msgpack:"d,omitempty"`  // day (unix ms / day) of the member's last post
	Mentions   []uint64  `msgpack:"at,omitempty"` // seqs of messages that mention the member, oldest first (fans.go)
}

type dedupEntry struct {
	User string `msgpack:"u"`
	CMID string `msgpack:"c"`
	Seq  uint64 `msgpack:"s"`
	Time int64  `msgpack:"t"`
}

// groupState is everything a snapshot holds.
type groupState struct {
	ID         string                  `msgpack:"id"`
	Exists     bool                    `msgpack:"exists"`
	Name       string                  `msgpack:"name"`
	Owner      string                  `msgpack:"owner"`
	Created    int64                   `msgpack:"created"`
	Join       wire.JoinPolicy         `msgpack:"join"`
	MaxMembers int                     `msgpack:"max"`
	Members    map[string]*memberState `msgpack:"members"`
	LastSeq    uint64                  `msgpack:"seq"`
	LastTime   int64                   `msgpack:"ts"`
	Dedup      []dedupEntry            `msgpack:"dedup"`

	Avatar        string             `msgpack:"avatar,omitempty"`
	Desc          string             `msgpack:"desc,omitempty"`
	Category      string             `msgpack:"category,omitempty"`
	City          string             `msgpack:"city,omitempty"`
	Lat           float64            `msgpack:"lat,omitempty"`
	Lng           float64            `msgpack:"lng,omitempty"`
	HasLoc        bool               `msgpack:"has_loc,omitempty"`
	Searchable    bool               `msgpack:"searchable,omitempty"`
	MembersInvite bool               `msgpack:"members_invite,omitempty"`
	MuteAll       bool               `msgpack:"mute_all,omitempty"`
	Dissolved     bool               `msgpack:"dissolved,omitempty"`
	Banned        map[string]int64   `msgpack:"banned,omitempty"`
	Announcement  *wire.Announcement `msgpack:"ann,omitempty"`
	Pins          []uint64           `msgpack:"pins,omitempty"`
	// Stats, kept up to date by apply.
	Female     int           `msgpack:"female,omitempty"`
	BirthSum   int64         `msgpack:"birth_sum,omitempty"`
	BirthN     int           `msgpack:"birth_n,omitempty"`
	ActiveDays map[int64]int `msgpack:"active_days,omitempty"` // day → members whose last post was that day
	DayMsgs    map[int64]int `msgpack:"day_msgs,omitempty"`    // day → messages posted
	// Commerce (commerce.go): packets, lotteries, coupons, the order.
	Commerce *commerceState `msgpack:"commerce,omitempty"`
	// Fan groups and creator tools (fans.go).
	Fan fanState `msgpack:"fan,omitempty"`
	// Room is set for a live room (room_state.go).
	Room *roomState `msgpack:"room,omitempty"`
}

// inviteState is an invite code as the group keeps it (aux KV).
type inviteState struct {
	Creator string `msgpack:"creator"`
	Expires int64  `msgpack:"expires"`
	MaxUses int    `msgpack:"max_uses"`
	Uses    int    `msgpack:"uses"`
}

type dedupKey struct{ user, cmid string }

// GroupMachine is a group's logic as a plain state machine: commands in,
// effects out, no I/O and no clock of its own.
type GroupMachine struct {
	cfg       GroupConfig
	st        groupState
	dedup     map[dedupKey]dedupEntry
	dedupQ    []dedupEntry // the same entries in seq (so time) order, for O(1) expiry
	dedupHead int          // dedupQ[:dedupHead] are consumed
	durable   uint64       // highest seq known durable
	sinceSnap int          // events applied since the last snapshot
	reindex   bool         // discovery entry changed since TakeReindex

	// Aux state (KV, loaded by LoadAux): not part of snapshots.
	invites map[string]*inviteState
	pending map[string]*wire.JoinRequest
	acks    map[string]uint64 // user → seq of the announcement acknowledged
	auxOut  []AuxWrite        // produced by apply, collected by TakeAux
	com     *commerceRT       // commerce aux state and host calls owed (commerce.go)

	room *roomRuntime // a live room's unpersisted state (room_state.go)
}

// NewGroupMachine returns the machine of a group that does not exist yet.
func NewGroupMachine(id string, cfg GroupConfig) *GroupMachine {
	m := &GroupMachine{cfg: cfg, st: groupState{ID: id}, dedup: map[dedupKey]dedupEntry{}}
	m.initMaps()
	m.invites, m.pending, m.acks = map[string]*inviteState{}, map[string]*wire.JoinRequest{}, map[string]uint64{}
	return m
}

func (g *GroupMachine) initMaps() {
	if g.st.Members == nil {
		g.st.Members = map[string]*memberState{}
	}
	if g.st.Banned == nil {
		g.st.Banned = map[string]int64{}
	}
	if g.st.ActiveDays == nil {
		g.st.ActiveDays = map[int64]int{}
	}
	if g.st.DayMsgs == nil {
		g.st.DayMsgs = map[int64]int{}
	}
}

// TakeReindex reports (once) whether the discovery entry changed.
func (g *GroupMachine) TakeReindex() bool {
	r := g.reindex
	g.reindex = false
	return r
}

// IndexEntry is the group's discovery entry.
func (g *GroupMachine) IndexEntry() IndexEntry {
	return IndexEntry{Group: g.st.ID, Name: g.st.Name, Avatar: g.st.Avatar, Category: g.st.Category, City: g.st.City,
		Owner: g.st.Owner, Lat: g.st.Lat, Lng: g.st.Lng, HasLoc: g.st.HasLoc, Members: len(g.st.Members),
		Join: g.st.Join, Searchable: g.st.Searchable, Dissolved: g.st.Dissolved,
		Shop: g.isShop(), Kind: g.kind()}
}

// Exists reports whether the group was created.
func (g *GroupMachine) Exists() bool { return g.st.Exists }

// LastSeq is the highest assigned seq.
func (g *GroupMachine) LastSeq() uint64 { return g.st.LastSeq }

// Durable is the highest durable seq.
func (g *GroupMachine) Durable() uint64 { return g.durable }

// MarkDurable records that every seq <= seq is durable.
func (g *GroupMachine) MarkDurable(seq uint64) {
	if seq > g.durable {
		g.durable = seq
	}
}

// IsMember reports whether user belongs to the group.
func (g *GroupMachine) IsMember(user string) bool { _, ok := g.st.Members[user]; return ok }

// MemberCount is the number of members.
func (g *GroupMachine) MemberCount() int { return len(g.st.Members) }

// Members returns every member id (unordered); for hooks and fan-out helpers.
func (g *GroupMachine) Members() []string {
	out := make([]string, 0, len(g.st.Members))
	for u := range g.st.Members {
		out = append(out, u)
	}
	return out
}

func (g *GroupMachine) isBanned(user string) bool { _, b := g.st.Banned[user]; return b }
