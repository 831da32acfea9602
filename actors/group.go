package actors

import (
	"fmt"
	"sort"

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
}

// DefaultGroupConfig returns the defaults documented on GroupConfig.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		MaxMembers: 200, MaxText: 4096, DedupWindow: 5 * 60 * 1000, DedupMax: 10000,
		PageMax: 200, SnapshotEvery: 1000, MaxReplyBytes: 60 << 10,
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
	}
	return nil
}

// HostFacts are what the engine learned from the host's hooks before a call.
type HostFacts struct {
	MaxMembers int `msgpack:"max_members,omitempty"`
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
	Name       string          `msgpack:"name,omitempty"`
	Join       wire.JoinPolicy `msgpack:"join,omitempty"`
	MaxMembers int             `msgpack:"max,omitempty"`
	Role       wire.Role       `msgpack:"role,omitempty"`
}

type memberState struct {
	Role   wire.Role `msgpack:"r"`
	Joined int64     `msgpack:"j"`
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
}

// GroupMachine is a group's logic as a plain state machine: commands in,
// effects out, no I/O and no clock of its own.
type GroupMachine struct {
	cfg       GroupConfig
	st        groupState
	dedup     map[dedupKey]dedupEntry
	durable   uint64 // highest seq known durable
	sinceSnap int    // events applied since the last snapshot
}

// NewGroupMachine returns the machine of a group that does not exist yet.
func NewGroupMachine(id string, cfg GroupConfig) *GroupMachine {
	return &GroupMachine{cfg: cfg, st: groupState{ID: id, Members: map[string]*memberState{}}, dedup: map[dedupKey]dedupEntry{}}
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
	g.st.Dedup = g.st.Dedup[:0]
	for _, e := range g.dedup {
		g.st.Dedup = append(g.st.Dedup, e)
	}
	sort.Slice(g.st.Dedup, func(i, j int) bool { return g.st.Dedup[i].Seq < g.st.Dedup[j].Seq })
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
	if st.Members == nil {
		st.Members = map[string]*memberState{}
	}
	g.dedup = make(map[dedupKey]dedupEntry, len(st.Dedup))
	for _, e := range st.Dedup {
		g.dedup[dedupKey{e.User, e.CMID}] = e
	}
	st.Dedup = nil
	g.st = st
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

// apply changes the state for one record. It is the only place state changes.
func (g *GroupMachine) apply(r *record) {
	m := &r.Msg
	g.st.LastSeq = m.Seq
	g.st.LastTime = m.Time
	g.sinceSnap++
	switch m.Type {
	case wire.MsgText:
		if m.CMID != "" {
			e := dedupEntry{User: m.Sender, CMID: m.CMID, Seq: m.Seq, Time: m.Time}
			g.dedup[dedupKey{e.User, e.CMID}] = e
		}
	case wire.MsgSystem:
		sb := m.Body.System
		switch sb.Event {
		case wire.EventCreated:
			g.st.Exists = true
			g.st.Owner = sb.Actor
			g.st.Created = m.Time
			if c := r.Change; c != nil {
				g.st.Name, g.st.Join, g.st.MaxMembers = c.Name, c.Join, c.MaxMembers
			}
			g.st.Members[sb.Actor] = &memberState{Role: wire.RoleOwner, Joined: m.Time}
		case wire.EventJoined:
			role := wire.RoleMember
			if r.Change != nil {
				role = r.Change.Role
			}
			g.st.Members[sb.Target] = &memberState{Role: role, Joined: m.Time}
		case wire.EventLeft:
			delete(g.st.Members, sb.Target)
		}
	}
}

// expireDedup forgets pairs older than the window, and the oldest past DedupMax.
func (g *GroupMachine) expireDedup(now int64) {
	if len(g.dedup) <= g.cfg.DedupMax && len(g.dedup) < 64 {
		return
	}
	cut := now - g.cfg.DedupWindow
	for k, e := range g.dedup {
		if e.Time < cut {
			delete(g.dedup, k)
		}
	}
	if len(g.dedup) > g.cfg.DedupMax {
		es := make([]dedupEntry, 0, len(g.dedup))
		for _, e := range g.dedup {
			es = append(es, e)
		}
		sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
		for _, e := range es[:len(es)-g.cfg.DedupMax] {
			delete(g.dedup, dedupKey{e.User, e.CMID})
		}
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
		return ok(g.info())
	case OpSummary:
		if !g.st.Exists {
			return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
		}
		return ok(GroupSummary{Info: g.info(), Member: g.IsMember(c.User)})
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
	return fail(wire.CodeUnknownOp, "operation %s is not a group operation", c.Op)
}

func (g *GroupMachine) info() wire.GroupInfo {
	return wire.GroupInfo{
		Group: g.st.ID, Name: g.st.Name, Owner: g.st.Owner, Created: g.st.Created,
		Members: len(g.st.Members), MaxMember: g.st.MaxMembers, LastSeq: g.st.LastSeq,
		LastTime: g.st.LastTime, Join: g.st.Join,
	}
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
	if a.Join != wire.JoinOpen {
		return fail(wire.CodeBadRequest, "unknown join policy %d", a.Join)
	}
	var h HostFacts
	if err := decodeArgs(c.Host, &h); err != nil {
		return Effects{Err: err}
	}
	max := g.cfg.MaxMembers
	if h.MaxMembers > 0 {
		max = h.MaxMembers
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventCreated, c.User, "", a.Name), &change{Name: a.Name, Join: a.Join, MaxMembers: max})
	return okAfter(wire.CreateGroupResult{Group: g.st.ID, Seq: r.Msg.Seq}, r)
}

func (g *GroupMachine) join(c Command) Effects {
	var a wire.JoinArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	if g.IsMember(c.User) {
		return fail(wire.CodeAlreadyMember, "already a member of %q", g.st.ID)
	}
	if len(g.st.Members) >= g.st.MaxMembers {
		return fail(wire.CodeGroupFull, "group %q is full (%d members)", g.st.ID, g.st.MaxMembers)
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventJoined, c.User, c.User, ""), nil)
	e := okAfter(wire.JoinResult{Seq: r.Msg.Seq, Name: g.st.Name}, r)
	e.AddUsers = []string{c.User}
	return e
}

func (g *GroupMachine) leave(c Command) Effects {
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	m, isMember := g.st.Members[c.User]
	if !isMember {
		return fail(wire.CodeNotMember, "not a member of %q", g.st.ID)
	}
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
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	if !g.IsMember(c.User) {
		return fail(wire.CodeNotMember, "not a member of %q", g.st.ID)
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
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	if !g.IsMember(c.User) {
		return fail(wire.CodeNotMember, "not a member of %q", g.st.ID)
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
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	if !g.IsMember(c.User) {
		return fail(wire.CodeNotMember, "not a member of %q", g.st.ID)
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
