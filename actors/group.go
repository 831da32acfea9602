package actors

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Internal operation codes (>= 1000). They never appear on the client wire.
const (
	OpSummary    wire.Op = 1000 // group → GroupSummary (for "my groups")
	OpUserGroups wire.Op = 1100 // user → UserGroupsResult (ids only, for subscribing)
	OpUserAdd    wire.Op = 1101 // user ← UserGroupArgs
	OpUserRemove wire.Op = 1102 // user ← UserGroupArgs
)

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
}

// DefaultGroupConfig returns the defaults documented on GroupConfig.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		MaxMembers: 200, MaxText: 4096, DedupWindow: 5 * 60 * 1000, DedupMax: 10000,
		PageMax: 200, SnapshotEvery: 1000, MaxReplyBytes: 60 << 10,
		MaxAdmins: 10, MaxPins: 10, InviteTTL: 7 * day, MaxInvites: 100, RequestTTL: 7 * day,
		MaxRequests: 1000, MaxAnnounce: 2000,
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
	return nil
}

// day is one day in milliseconds.
const day = 24 * 60 * 60 * 1000

// Gender as the host's profile hook reports it.
const (
	GenderUnknown uint8 = 0
	GenderMale    uint8 = 1
	GenderFemale  uint8 = 2
)

// UserFacts are a user's profile facts the group keeps for its stats.
type UserFacts struct {
	Gender    uint8 `msgpack:"gender,omitempty"`
	BirthYear int   `msgpack:"birth_year,omitempty"`
}

// HostFacts are what the engine learned from the host's hooks before a call.
type HostFacts struct {
	MaxMembers int                  `msgpack:"max_members,omitempty"` // create: the owner's tier
	Profiles   map[string]UserFacts `msgpack:"profiles,omitempty"`    // joiners' profiles
	Code       string               `msgpack:"code,omitempty"`        // create_invite: the new code
	Year       int                  `msgpack:"year,omitempty"`        // the current year, for ages
}

// GroupSummary answers OpSummary.
type GroupSummary struct {
	Info   wire.GroupInfo `msgpack:"info"`
	Member bool           `msgpack:"member"`
}

// record is one journal entry: the message clients see plus the state change
// it stands for.
type record struct {
	Msg    wire.Message `msgpack:"m"`
	Change *change      `msgpack:"c,omitempty"`
}

type change struct {
	Name          string           `msgpack:"name,omitempty"`
	Join          wire.JoinPolicy  `msgpack:"join,omitempty"`
	MaxMembers    int              `msgpack:"max,omitempty"`
	Role          wire.Role        `msgpack:"role,omitempty"`
	Facts         UserFacts        `msgpack:"facts,omitempty"`
	Profile       *wire.Profile    `msgpack:"profile,omitempty"`
	JoinSet       *wire.JoinPolicy `msgpack:"join_set,omitempty"`
	MembersInvite *bool            `msgpack:"members_invite,omitempty"`
	Seq           uint64           `msgpack:"seq,omitempty"` // pinned/unpinned message
}

type memberState struct {
	Role       wire.Role `msgpack:"r"`
	Joined     int64     `msgpack:"j"`
	MutedUntil int64     `msgpack:"m,omitempty"`
	Gender     uint8     `msgpack:"x,omitempty"`
	BirthYear  int       `msgpack:"b,omitempty"`
	LastDay    int64     `msgpack:"d,omitempty"` // day (unix ms / day) of the member's last post
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
}

// inviteState is an invite code as the group keeps it (aux KV).
type inviteState struct {
	Creator string `msgpack:"creator"`
	Expires int64  `msgpack:"expires"`
	MaxUses int    `msgpack:"max_uses"`
	Uses    int    `msgpack:"uses"`
}

type dedupKey struct{ user, cmid string }

// Command is one input to the state machine.
type Command struct {
	Now  int64 // unix ms, from the grain's clock
	User string
	Op   wire.Op
	Args []byte // msgpack
	Host []byte // msgpack HostFacts
}

// HistoryQuery is a journal read the grain performs for a history page.
type HistoryQuery struct {
	From, To uint64 // inclusive seq bounds, both within the durable range
	Limit    int
	Reverse  bool // read newest first (from To down), then return ascending
	LastSeq  uint64
}

// Effects is what the state machine asks the grain to carry out.
type Effects struct {
	// Records to persist, with seqs assigned, in order. Their messages are
	// pushed to online members once durable, never before.
	Records []record
	// Reply is the msgpack result body, or Err the failure.
	Reply []byte
	Err   *wire.Error
	// ReplyAfter: the reply goes out only once every seq <= ReplyAfter is
	// durable (0 = at once).
	ReplyAfter uint64
	// Read, if set, is a history read; the grain answers with its result.
	Read *HistoryQuery
	// AddUsers and RemoveUsers change live subscriptions along with the push.
	AddUsers, RemoveUsers []string
	// Aux writes group state that is not history (invite codes, join
	// requests, announcement acks) to KV keys under the group's prefix. With
	// ReplyBatch the reply waits until these are durable.
	Aux        []AuxWrite
	ReplyBatch bool
	// DropHistory deletes the journal before the records are written
	// (dissolve with DeleteOnDissolve).
	DropHistory bool
	// Closed: the group is gone; hubs unsubscribe everyone after the push.
	Closed bool
	// Notice, if set, goes to the listed users' live connections.
	Notice   *wire.Notice
	NoticeTo []string
}

// AuxWrite sets (or with a nil Value, deletes) one aux key, relative to the
// group's aux prefix.
type AuxWrite struct {
	Key   string
	Value []byte
}

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

// Aux key prefixes.
const (
	auxInvite  = "i/"
	auxRequest = "r/"
	auxAck     = "a/"
)

// AuxPrefix is the KV prefix of a group's aux state.
func AuxPrefix(group string) string { return "ga/" + group + "/" }

// LoadAux restores one aux key (relative to AuxPrefix) during activation.
func (g *GroupMachine) LoadAux(key string, value []byte) error {
	switch {
	case strings.HasPrefix(key, auxInvite):
		var v inviteState
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.invites[key[len(auxInvite):]] = &v
	case strings.HasPrefix(key, auxRequest):
		var v wire.JoinRequest
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.pending[key[len(auxRequest):]] = &v
	case strings.HasPrefix(key, auxAck):
		var v uint64
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.acks[key[len(auxAck):]] = v
	}
	return nil
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
		Join: g.st.Join, Searchable: g.st.Searchable, Dissolved: g.st.Dissolved}
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

// SnapshotDue reports whether enough events passed since the last snapshot.
func (g *GroupMachine) SnapshotDue() bool { return g.sinceSnap >= g.cfg.SnapshotEvery }

// Snapshot encodes the state (as of LastSeq) and resets the snapshot counter.
func (g *GroupMachine) Snapshot() ([]byte, uint64, error) {
	g.st.Dedup = make([]dedupEntry, 0, len(g.dedup))
	for _, e := range g.dedupQ[g.dedupHead:] { // already in seq order
		if cur, ok := g.dedup[dedupKey{e.User, e.CMID}]; ok && cur.Seq == e.Seq {
			g.st.Dedup = append(g.st.Dedup, e)
		}
	}
	b, err := wire.Marshal(&g.st)
	g.st.Dedup = nil
	if err != nil {
		return nil, 0, err
	}
	g.sinceSnap = 0
	return b, g.st.LastSeq, nil
}

// Restore loads a snapshot. Everything in it is durable.
func (g *GroupMachine) Restore(b []byte) error {
	var st groupState
	if err := wire.Decode(b, &st); err != nil {
		return fmt.Errorf("actors: snapshot: %w", err)
	}
	g.dedup = make(map[dedupKey]dedupEntry, len(st.Dedup))
	g.dedupQ, g.dedupHead = g.dedupQ[:0], 0
	for _, e := range st.Dedup { // snapshots hold them in seq order
		g.dedup[dedupKey{e.User, e.CMID}] = e
		g.dedupQ = append(g.dedupQ, e)
	}
	st.Dedup = nil
	g.st = st
	g.initMaps()
	g.durable = st.LastSeq
	g.sinceSnap = 0
	return nil
}

// Replay applies a durable journal record during recovery.
func (g *GroupMachine) Replay(data []byte) error {
	var r record
	if err := wire.Decode(data, &r); err != nil {
		return fmt.Errorf("actors: journal: %w", err)
	}
	if r.Msg.Seq != g.st.LastSeq+1 {
		return fmt.Errorf("actors: journal seq %d after %d", r.Msg.Seq, g.st.LastSeq)
	}
	g.apply(&r)
	g.durable = g.st.LastSeq
	return nil
}

// apply changes the state for one record. It is the only place group state
// (other than aux) changes, so live handling and replay always agree.
func (g *GroupMachine) apply(r *record) {
	m := &r.Msg
	g.st.LastSeq = m.Seq
	g.st.LastTime = m.Time
	g.sinceSnap++
	c := r.Change
	if c == nil {
		c = &change{}
	}
	switch m.Type {
	case wire.MsgText:
		if m.CMID != "" {
			e := dedupEntry{User: m.Sender, CMID: m.CMID, Seq: m.Seq, Time: m.Time}
			g.dedup[dedupKey{e.User, e.CMID}] = e
			g.dedupQ = append(g.dedupQ, e)
		}
		g.posted(m.Sender, m.Time/day)
	case wire.MsgSystem:
		sb := m.Body.System
		g.reindex = true
		switch sb.Event {
		case wire.EventCreated:
			g.st.Exists = true
			g.st.Owner = sb.Actor
			g.st.Created = m.Time
			g.st.Name, g.st.Join, g.st.MaxMembers = c.Name, c.Join, c.MaxMembers
			g.addMember(sb.Actor, wire.RoleOwner, m.Time, c.Facts)
		case wire.EventJoined, wire.EventInvited:
			g.addMember(sb.Target, wire.RoleMember, m.Time, c.Facts)
			delete(g.pending, sb.Target)
		case wire.EventLeft, wire.EventKicked:
			g.removeMember(sb.Target)
		case wire.EventBanned:
			g.removeMember(sb.Target)
			g.st.Banned[sb.Target] = m.Time
		case wire.EventUnbanned:
			delete(g.st.Banned, sb.Target)
		case wire.EventRole:
			if mm := g.st.Members[sb.Target]; mm != nil {
				mm.Role = c.Role
			}
		case wire.EventMuted:
			if mm := g.st.Members[sb.Target]; mm != nil {
				mm.MutedUntil = sb.Until
			}
		case wire.EventUnmuted:
			if mm := g.st.Members[sb.Target]; mm != nil {
				mm.MutedUntil = 0
			}
		case wire.EventMuteAll:
			g.st.MuteAll = sb.Text == "on"
		case wire.EventOwner:
			if old := g.st.Members[sb.Actor]; old != nil {
				old.Role = wire.RoleMember
			}
			if nw := g.st.Members[sb.Target]; nw != nil {
				nw.Role = wire.RoleOwner
				nw.MutedUntil = 0 // nobody outranks the owner to lift it
			}
			g.st.Owner = sb.Target
		case wire.EventDissolved:
			g.st.Dissolved = true
		case wire.EventUpdated:
			g.applyUpdate(c)
		case wire.EventAnnounce:
			g.st.Announcement = &wire.Announcement{Seq: m.Seq, Text: sb.Text, By: sb.Actor, At: m.Time}
		case wire.EventPinned:
			g.st.Pins = append(g.st.Pins, c.Seq)
		case wire.EventUnpinned:
			for i, p := range g.st.Pins {
				if p == c.Seq {
					g.st.Pins = append(g.st.Pins[:i], g.st.Pins[i+1:]...)
					break
				}
			}
		default:
			g.reindex = false
		}
	}
}

func (g *GroupMachine) applyUpdate(c *change) {
	if p := c.Profile; p != nil {
		if p.Name != nil {
			g.st.Name = *p.Name
		}
		if p.Avatar != nil {
			g.st.Avatar = *p.Avatar
		}
		if p.Description != nil {
			g.st.Desc = *p.Description
		}
		if p.Category != nil {
			g.st.Category = *p.Category
		}
		if p.Location != nil {
			g.st.Lat, g.st.Lng, g.st.City, g.st.HasLoc = p.Location.Lat, p.Location.Lng, p.Location.City, true
		}
		if p.Searchable != nil {
			g.st.Searchable = *p.Searchable
		}
	}
	if c.JoinSet != nil {
		g.st.Join = *c.JoinSet
	}
	if c.MembersInvite != nil {
		g.st.MembersInvite = *c.MembersInvite
	}
}

func (g *GroupMachine) addMember(u string, role wire.Role, now int64, f UserFacts) {
	if _, ok := g.st.Members[u]; ok {
		return
	}
	g.st.Members[u] = &memberState{Role: role, Joined: now, Gender: f.Gender, BirthYear: f.BirthYear}
	if f.Gender == GenderFemale {
		g.st.Female++
	}
	if f.BirthYear > 0 {
		g.st.BirthSum += int64(f.BirthYear)
		g.st.BirthN++
	}
}

func (g *GroupMachine) removeMember(u string) {
	m, ok := g.st.Members[u]
	if !ok {
		return
	}
	if m.Gender == GenderFemale {
		g.st.Female--
	}
	if m.BirthYear > 0 {
		g.st.BirthSum -= int64(m.BirthYear)
		g.st.BirthN--
	}
	if m.LastDay != 0 {
		if g.st.ActiveDays[m.LastDay]--; g.st.ActiveDays[m.LastDay] <= 0 {
			delete(g.st.ActiveDays, m.LastDay)
		}
	}
	delete(g.st.Members, u)
	if _, ok := g.acks[u]; ok {
		delete(g.acks, u)
		g.auxOut = append(g.auxOut, AuxWrite{Key: auxAck + u})
	}
}

// TakeAux returns aux writes that apply produced (deletes of a departed
// member's acknowledgement); the grain adds them to the next batch.
func (g *GroupMachine) TakeAux() []AuxWrite {
	out := g.auxOut
	g.auxOut = nil
	return out
}

// statsDays is how many days of activity counters a group keeps.
const statsDays = 8

// posted counts a message of user on day d, keeping the per-day counters
// incremental: no query ever scans history or members.
func (g *GroupMachine) posted(user string, d int64) {
	if _, ok := g.st.DayMsgs[d]; !ok {
		for k := range g.st.DayMsgs {
			if k <= d-statsDays {
				delete(g.st.DayMsgs, k)
			}
		}
		for k := range g.st.ActiveDays {
			if k <= d-statsDays {
				delete(g.st.ActiveDays, k)
			}
		}
	}
	g.st.DayMsgs[d]++
	m := g.st.Members[user]
	if m == nil || m.LastDay == d {
		return
	}
	if m.LastDay != 0 {
		if g.st.ActiveDays[m.LastDay]--; g.st.ActiveDays[m.LastDay] <= 0 {
			delete(g.st.ActiveDays, m.LastDay)
		}
	}
	m.LastDay = d
	g.st.ActiveDays[d]++
}

// expireDedup forgets pairs older than the window, and the oldest past
// DedupMax. Entries leave in seq order from the front of dedupQ, so each send
// costs O(1) amortized, whatever the window holds.
func (g *GroupMachine) expireDedup(now int64) {
	cut := now - g.cfg.DedupWindow
	for g.dedupHead < len(g.dedupQ) {
		e := g.dedupQ[g.dedupHead]
		if e.Time >= cut && len(g.dedup) <= g.cfg.DedupMax {
			break
		}
		k := dedupKey{e.User, e.CMID}
		if cur, ok := g.dedup[k]; ok && cur.Seq == e.Seq {
			delete(g.dedup, k)
		}
		g.dedupQ[g.dedupHead] = dedupEntry{}
		g.dedupHead++
	}
	// Compact once the consumed prefix is the larger half.
	if g.dedupHead > 1024 && g.dedupHead*2 > len(g.dedupQ) {
		g.dedupQ = append(g.dedupQ[:0], g.dedupQ[g.dedupHead:]...)
		g.dedupHead = 0
	}
}

// newRecord assigns the next seq and a monotonic time, applies, and returns it.
func (g *GroupMachine) newRecord(now int64, msg wire.Message, c *change) record {
	if now < g.st.LastTime {
		now = g.st.LastTime
	}
	msg.Seq = g.st.LastSeq + 1
	msg.Time = now
	r := record{Msg: msg, Change: c}
	g.apply(&r)
	return r
}

func sysMsg(event, actor, target, text string) wire.Message {
	return wire.Message{Sender: actor, Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: event, Actor: actor, Target: target, Text: text}}}
}

func fail(code wire.Code, format string, args ...any) Effects {
	return Effects{Err: wire.Errorf(code, format, args...)}
}

func ok(v any) Effects {
	b, err := wire.Marshal(v)
	if err != nil {
		return fail(wire.CodeInternal, "encode reply: %v", err)
	}
	return Effects{Reply: b}
}

// okAfter replies once the records are durable.
func okAfter(v any, recs ...record) Effects {
	e := ok(v)
	e.Records = recs
	if len(recs) > 0 {
		e.ReplyAfter = recs[len(recs)-1].Msg.Seq
	}
	return e
}

// hostOf decodes the host facts the engine attached to a command.
func hostOf(c Command) (HostFacts, *wire.Error) {
	var h HostFacts
	return h, decodeArgs(c.Host, &h)
}

func decodeArgs(b []byte, v any) *wire.Error {
	if len(b) == 0 {
		b = []byte{0x80} // empty map
	}
	if err := wire.Decode(b, v); err != nil {
		return wire.Errorf(wire.CodeBadRequest, "arguments: %v", err)
	}
	return nil
}

// Handle runs one command.
func (g *GroupMachine) Handle(c Command) Effects {
	switch c.Op {
	case wire.OpCreateGroup:
		return g.create(c)
	case wire.OpGroupInfo:
		if !g.st.Exists {
			return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
		}
		in := g.info()
		if !g.IsMember(c.User) { // the announcement and pins are for members
			in.Announcement, in.Pins = nil, nil
		}
		if m := g.st.Members[c.User]; m != nil {
			role := m.Role
			in.YourRole = &role
			if m.MutedUntil > c.Now {
				in.MutedUntil = m.MutedUntil
			}
		}
		return ok(in)
	case OpSummary:
		if !g.st.Exists {
			return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
		}
		return ok(GroupSummary{Info: g.info(), Member: g.IsMember(c.User) && !g.st.Dissolved})
	case wire.OpJoin:
		return g.join(c)
	case wire.OpLeave:
		return g.leave(c)
	case wire.OpSend:
		return g.send(c)
	case wire.OpHistory:
		return g.history(c)
	case wire.OpMembers:
		return g.members(c)
	}
	if e, ok := g.handleRules(c); ok {
		return e
	}
	return fail(wire.CodeUnknownOp, "operation %s is not a group operation", c.Op)
}

func (g *GroupMachine) info() wire.GroupInfo {
	in := wire.GroupInfo{
		Group: g.st.ID, Name: g.st.Name, Owner: g.st.Owner, Created: g.st.Created,
		Members: len(g.st.Members), MaxMember: g.st.MaxMembers, LastSeq: g.st.LastSeq,
		LastTime: g.st.LastTime, Join: g.st.Join,
		Avatar: g.st.Avatar, Description: g.st.Desc, Category: g.st.Category, Searchable: g.st.Searchable,
		MembersInvite: g.st.MembersInvite, MuteAll: g.st.MuteAll, Announcement: g.st.Announcement,
		Pins: g.st.Pins, Dissolved: g.st.Dissolved,
	}
	if g.st.HasLoc {
		in.Location = &wire.GeoArgs{Lat: g.st.Lat, Lng: g.st.Lng, City: g.st.City}
	}
	for u, m := range g.st.Members {
		if m.Role == wire.RoleAdmin {
			in.Admins = append(in.Admins, u)
		}
	}
	sort.Strings(in.Admins)
	return in
}

// MaxNameLen bounds group names in bytes.
const MaxNameLen = 100

func (g *GroupMachine) create(c Command) Effects {
	var a wire.CreateGroupArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if g.st.Exists || g.st.LastSeq > 0 {
		return fail(wire.CodeConflict, "group %q already exists", g.st.ID)
	}
	if a.Name == "" || len(a.Name) > MaxNameLen {
		return fail(wire.CodeBadRequest, "group name must be 1..%d bytes", MaxNameLen)
	}
	if a.Join > wire.JoinInvite {
		return fail(wire.CodeBadRequest, "unknown join policy %d", a.Join)
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	max := g.cfg.MaxMembers
	if h.MaxMembers > 0 {
		max = h.MaxMembers
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventCreated, c.User, "", a.Name), &change{Name: a.Name, Join: a.Join, MaxMembers: max, Facts: h.Profiles[c.User]})
	return okAfter(wire.CreateGroupResult{Group: g.st.ID, Seq: r.Msg.Seq}, r)
}

func (g *GroupMachine) join(c Command) Effects {
	var a wire.JoinArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.canJoin(c.User); bad {
		return e
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	msg := sysMsg(wire.EventJoined, c.User, c.User, "")
	var aux []AuxWrite
	if a.Code != "" {
		inv := g.invites[a.Code]
		if !g.codeLive(a.Code, inv, c.Now) {
			return fail(wire.CodeInvalidCode, "invite code is unknown, expired, used up or revoked")
		}
		inv.Uses++
		aux = append(aux, AuxWrite{Key: auxInvite + a.Code, Value: mustMarshal(inv)})
		msg.Body.System.Text = "code"
		msg.Body.System.Actor = inv.Creator
	} else if g.st.Join == wire.JoinApproval {
		return fail(wire.CodeNotAllowed, "group %q needs approval: apply to join", g.st.ID)
	} else if g.st.Join == wire.JoinInvite {
		return fail(wire.CodeNotAllowed, "group %q is invite-only", g.st.ID)
	}
	if _, was := g.pending[c.User]; was {
		aux = append(aux, AuxWrite{Key: auxRequest + c.User})
	}
	r := g.newRecord(c.Now, msg, &change{Facts: h.Profiles[c.User]})
	e := okAfter(wire.JoinResult{Seq: r.Msg.Seq, Name: g.st.Name}, r)
	e.AddUsers = []string{c.User}
	e.Aux = aux
	return e
}

// canJoin checks that user may become a member now.
func (g *GroupMachine) canJoin(user string) (Effects, bool) {
	switch {
	case !g.st.Exists:
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID), true
	case g.st.Dissolved:
		return fail(wire.CodeDissolved, "group %q was dissolved", g.st.ID), true
	case g.IsMember(user):
		return fail(wire.CodeAlreadyMember, "already a member of %q", g.st.ID), true
	case g.isBanned(user):
		return fail(wire.CodeBanned, "you are banned from %q", g.st.ID), true
	case len(g.st.Members) >= g.st.MaxMembers:
		return fail(wire.CodeGroupFull, "group %q is full (%d members)", g.st.ID, g.st.MaxMembers), true
	}
	return Effects{}, false
}

func (g *GroupMachine) isBanned(user string) bool { _, b := g.st.Banned[user]; return b }

func mustMarshal(v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("actors: marshal %T: %v", v, err)) // only our own types
	}
	return b
}

func (g *GroupMachine) leave(c Command) Effects {
	if e, bad := g.memberCheck(c.User); bad {
		return e
	}
	if g.st.Dissolved {
		return fail(wire.CodeDissolved, "group %q was dissolved", g.st.ID)
	}
	m := g.st.Members[c.User]
	if m.Role == wire.RoleOwner {
		return fail(wire.CodeForbidden, "the owner cannot leave; transfer ownership or dissolve the group")
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventLeft, c.User, c.User, ""), nil)
	e := okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
	e.RemoveUsers = []string{c.User}
	return e
}

// MaxCMIDLen bounds client message ids in bytes.
const MaxCMIDLen = 64

func (g *GroupMachine) send(c Command) Effects {
	var a wire.SendArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.memberCheck(c.User); bad {
		return e
	}
	if len(a.CMID) > MaxCMIDLen {
		return fail(wire.CodeBadRequest, "client message id longer than %d bytes", MaxCMIDLen)
	}
	g.expireDedup(c.Now)
	if a.CMID != "" {
		if e, dup := g.dedup[dedupKey{c.User, a.CMID}]; dup {
			// A retry: the first seq, once that one is durable.
			res := ok(wire.SendResult{Seq: e.Seq, Time: e.Time, Dup: true})
			if e.Seq > g.durable {
				res.ReplyAfter = e.Seq
			}
			return res
		}
	}
	if g.st.Dissolved {
		return fail(wire.CodeDissolved, "group %q was dissolved", g.st.ID)
	}
	if e, bad := g.mutedCheck(c.User, c.Now); bad {
		return e
	} else if g.st.MuteAll && g.st.Members[c.User].Role == wire.RoleMember {
		return fail(wire.CodeMuted, "group %q is muted: only the owner and admins may speak", g.st.ID)
	}
	msg := wire.Message{Sender: c.User, CMID: a.CMID, Type: a.Type, Body: a.Body}
	if err := msg.Check(g.cfg.MaxText); err != nil {
		return Effects{Err: err.(*wire.Error)}
	}
	r := g.newRecord(c.Now, msg, nil)
	return okAfter(wire.SendResult{Seq: r.Msg.Seq, Time: r.Msg.Time}, r)
}

func (g *GroupMachine) history(c Command) Effects {
	var a wire.HistoryArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.memberCheck(c.User); bad {
		return e
	}
	limit := a.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > g.cfg.PageMax {
		limit = g.cfg.PageMax
	}
	q := &HistoryQuery{Limit: limit, LastSeq: g.durable}
	if a.After != nil {
		q.From, q.To = *a.After+1, g.durable
	} else {
		q.Reverse = true
		q.From, q.To = 1, g.durable
		if a.Before > 0 && a.Before-1 < q.To {
			q.To = a.Before - 1
		}
	}
	return Effects{Read: q}
}

func (g *GroupMachine) members(c Command) Effects {
	var a wire.MembersArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.memberCheck(c.User); bad {
		return e
	}
	limit := a.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	ids := make([]string, 0, len(g.st.Members))
	for u := range g.st.Members {
		if u > a.After {
			ids = append(ids, u)
		}
	}
	sort.Strings(ids)
	res := wire.MembersResult{Total: len(g.st.Members)}
	if len(ids) > limit {
		ids = ids[:limit]
		res.Next = ids[limit-1]
	}
	for _, u := range ids {
		m := g.st.Members[u]
		res.Members = append(res.Members, wire.Member{User: u, Role: m.Role, Joined: m.Joined})
	}
	return ok(res)
}

// Members returns every member id (unordered); for hooks and fan-out helpers.
func (g *GroupMachine) Members() []string {
	out := make([]string, 0, len(g.st.Members))
	for u := range g.st.Members {
		out = append(out, u)
	}
	return out
}
