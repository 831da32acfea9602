package actors

import (
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/qunchat/qun/wire"
)

// Live rooms: the room's op table and handlers. Ops in roomOps are a
// room's own (any other group answers not_a_room); ops in roomOverrides
// replace the group op of the same code when the group is a room.

var roomOps = map[wire.Op]groupOp{
	wire.OpOpenRoom:   op(rule{}, (*GroupMachine).openRoom),
	wire.OpCloseRoom:  op(rule{}, (*GroupMachine).closeRoom),
	wire.OpWatchRoom:  op(rule{}, (*GroupMachine).watchRoom),
	wire.OpRoomSend:   op(rule{}, (*GroupMachine).roomSend),
	wire.OpRoomConfig: op(rule{}, (*GroupMachine).roomConfig),
	OpRoomReport:      op(rule{}, (*GroupMachine).roomReport),
}

var roomOverrides = map[wire.Op]groupOp{
	wire.OpSend:    op(rule{}, (*GroupMachine).roomSendPlain),
	wire.OpHistory: op(rule{gate: gateExists}, (*GroupMachine).roomHistory),
	wire.OpMute:    op(rule{gate: gateRole, min: wire.RoleAdmin, what: "mute viewers", notSelf: true}, (*GroupMachine).roomMute),
	wire.OpSetRole: op(rule{gate: gateRole, min: wire.RoleOwner, what: "appoint or remove admins", notSelf: true}, (*GroupMachine).roomSetRole),
	wire.OpJoin:    op(rule{}, (*GroupMachine).notJoinable),
	wire.OpApply:   op(rule{}, (*GroupMachine).notJoinable),
	wire.OpInvite:  op(rule{}, (*GroupMachine).notJoinable),
	wire.OpLeave:   op(rule{}, (*GroupMachine).notJoinable),
}

// roomOp finds the row that handles op when the group is (or may become) a
// room.
func (g *GroupMachine) roomOp(o wire.Op) (groupOp, bool) {
	if r, ok := roomOps[o]; ok {
		return r, true
	}
	if g.st.Room != nil {
		r, ok := roomOverrides[o]
		return r, ok
	}
	return nil, false
}

// RoomReportArgs is a hub's viewer count of a room.
type RoomReportArgs struct {
	Hub string `msgpack:"hub"`
	N   int    `msgpack:"n"`
}

// RoomReportResult is the room's online count (the sum over nodes).
type RoomReportResult struct {
	Online   int  `msgpack:"online"`
	WindowMS int  `msgpack:"window_ms"`
	Closed   bool `msgpack:"closed,omitempty"`
}

// RoomID is the id of a stream's room.
func RoomID(stream string) string { return wire.RoomPrefix + stream }

// ValidStream checks a stream id.
func ValidStream(s string) *wire.Error {
	if s == "" || len(s) > wire.MaxStreamLen {
		return wire.Errorf(wire.CodeBadRequest, "stream id must be 1..%d bytes", wire.MaxStreamLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return wire.Errorf(wire.CodeBadRequest, "stream id may hold only [A-Za-z0-9_-]")
		}
	}
	return nil
}

// isRoom: the group exists and is a room.
func (g *GroupMachine) isRoom() *wire.Error {
	switch {
	case !g.st.Exists:
		return g.exists()
	case g.st.Room == nil:
		return wire.Errorf(wire.CodeNotARoom, "%q is not a room", g.st.ID)
	}
	return nil
}

// openRoom: the room must be new, or open and the caller's (idempotent).
func (g *GroupMachine) openRoom(r *req[wire.OpenRoomArgs]) Effects {
	a := &r.args
	if err := ValidStream(a.Stream); err != nil {
		return refuse(err)
	}
	if g.st.ID != RoomID(a.Stream) {
		return fail(wire.CodeBadRequest, "room %q is not the room of stream %q", g.st.ID, a.Stream)
	}
	if g.st.Exists || g.st.LastSeq > 0 {
		switch rs := g.st.Room; {
		case rs == nil:
			return fail(wire.CodeNotARoom, "%q is not a room", g.st.ID)
		case rs.Closed:
			return fail(wire.CodeRoomClosed, "the stream of room %q ended", g.st.ID)
		case g.st.Owner != r.User:
			return fail(wire.CodeConflict, "room %q is open by another owner", g.st.ID)
		}
		return ok(wire.OpenRoomResult{Room: g.st.ID, Seq: g.st.LastSeq, Existed: true})
	}
	name := a.Name
	if name == "" {
		name = a.Stream
	}
	if len(name) > MaxNameLen || !validText(name, MaxNameLen) {
		return fail(wire.CodeBadRequest, "room name must be 1..%d bytes of UTF-8", MaxNameLen)
	}
	window := g.cfg.Room.WindowMS
	if a.WindowMS != nil {
		window = *a.WindowMS
	}
	if window < 0 || window > wire.MaxRoomWindowMS {
		return fail(wire.CodeBadRequest, "window_ms must be 0..%d", wire.MaxRoomWindowMS)
	}
	msg := sysMsg(wire.EventRoomOpened, r.User, "", a.Stream)
	msg.Lane = wire.LaneHigh
	rec := g.newRecord(r.Now, msg, &change{Name: name, MaxMembers: g.cfg.MaxAdmins + 1,
		Room: &roomState{Stream: a.Stream, WindowMS: window}})
	return okAfter(wire.OpenRoomResult{Room: g.st.ID, Seq: rec.Msg.Seq}, rec)
}

func (g *GroupMachine) closeRoom(r *req[none]) Effects {
	if err := g.isRoom(); err != nil {
		return refuse(err)
	}
	if err := g.hasRole(r.User, wire.RoleAdmin, "end the stream"); err != nil {
		return refuse(err)
	}
	if g.st.Room.Closed {
		return fail(wire.CodeRoomClosed, "room %q is already closed", g.st.ID)
	}
	e := g.event(r.Now, sysMsg(wire.EventRoomClosed, r.User, "", ""), nil)
	e.Closed = true
	return e
}

// watchRoom admits a viewer: nothing is written.
func (g *GroupMachine) watchRoom(r *req[none]) Effects {
	if err := g.isRoom(); err != nil {
		return refuse(err)
	}
	if g.st.Room.Closed {
		return fail(wire.CodeRoomClosed, "the stream of room %q ended; its history stays readable", g.st.ID)
	}
	if g.isBanned(r.User) {
		return fail(wire.CodeBanned, "you are banned from %q", g.st.ID)
	}
	return ok(g.roomInfo(r.Now))
}

func (g *GroupMachine) roomInfo(now int64) wire.RoomInfo {
	rs := g.st.Room
	return wire.RoomInfo{Room: g.st.ID, Name: g.st.Name, Owner: g.st.Owner, LastSeq: g.durable,
		Online: g.rt().online(now), WindowMS: rs.WindowMS, SlowModeS: rs.SlowModeS, Closed: rs.Closed,
		ChatterFrom: g.chatterFrom(now)}
}

// roomReport records a hub's viewer count and answers with the total.
func (g *GroupMachine) roomReport(r *req[RoomReportArgs]) Effects {
	if err := g.isRoom(); err != nil {
		return refuse(err)
	}
	a := &r.args
	rt := g.rt()
	if a.N <= 0 {
		delete(rt.nodes, a.Hub)
	} else if a.Hub != "" {
		rt.nodes[a.Hub] = nodeCount{n: a.N, expires: r.Now + 3*g.cfg.Room.CountEvery.Milliseconds()}
	}
	return ok(RoomReportResult{Online: rt.online(r.Now), WindowMS: g.st.Room.WindowMS, Closed: g.st.Room.Closed})
}

// roomSendPlain is a send into a room: chatter from a viewer, high from
// the owner or an admin.
func (g *GroupMachine) roomSendPlain(r *req[wire.SendArgs]) Effects {
	lane := wire.LaneChatter
	if m := g.st.Members[r.User]; m != nil && m.Role >= wire.RoleAdmin {
		lane = wire.LaneHigh
	}
	a := &r.args
	return g.roomPost(r.Command, wire.RoomSendArgs{Group: a.Group, CMID: a.CMID, Type: a.Type, Body: a.Body, Lane: lane})
}

func (g *GroupMachine) roomSend(r *req[wire.RoomSendArgs]) Effects {
	return g.roomPost(r.Command, r.args)
}

// roomPost checks a room message against the room's rules and limits and
// writes it: chatter to the retention ring, other lanes to the journal.
func (g *GroupMachine) roomPost(c Command, a wire.RoomSendArgs) Effects {
	if err := g.isRoom(); err != nil {
		return refuse(err)
	}
	if len(a.CMID) > MaxCMIDLen {
		return fail(wire.CodeBadRequest, "client message id longer than %d bytes", MaxCMIDLen)
	}
	if a.Lane > wire.LaneHigh {
		return fail(wire.CodeBadRequest, "unknown lane %d", a.Lane)
	}
	g.expireDedup(c.Now)
	if a.CMID != "" {
		if e, dup := g.dedup[dedupKey{c.User, a.CMID}]; dup {
			res := ok(wire.SendResult{Seq: e.Seq, Time: e.Time, Dup: true})
			if e.Seq > g.durable {
				res.ReplyAfter = e.Seq
			}
			return res
		}
	}
	rs := g.st.Room
	if rs.Closed {
		return fail(wire.CodeRoomClosed, "the stream of room %q ended", g.st.ID)
	}
	if g.isBanned(c.User) {
		return fail(wire.CodeBanned, "you are banned from %q", g.st.ID)
	}
	if err := g.unmuted(c.User, c.Now); err != nil {
		return refuse(err)
	}
	if until := rs.Muted[c.User]; until > c.Now {
		return fail(wire.CodeMuted, "you are muted in %q until %s", g.st.ID, time.UnixMilli(until).UTC().Format(time.RFC3339))
	}
	m := g.st.Members[c.User]
	staff := m != nil && m.Role >= wire.RoleAdmin
	if g.st.MuteAll && !staff {
		return fail(wire.CodeMuted, "room %q is muted: only the owner and admins may speak", g.st.ID)
	}
	msg := wire.Message{Sender: c.User, CMID: a.CMID, Type: a.Type, Body: a.Body, Lane: a.Lane}
	if err := msg.Check(g.cfg.MaxText); err != nil {
		return refuse(err.(*wire.Error))
	}
	if err := g.roomLimits(c, staff, a.Lane); err != nil {
		return refuse(err)
	}
	rec := g.newRecord(c.Now, msg, nil)
	res := okAfter(wire.SendResult{Seq: rec.Msg.Seq, Time: rec.Msg.Time}, rec)
	if a.Lane == wire.LaneChatter {
		raw, err := wire.Marshal(&rec.Msg)
		if err != nil {
			return fail(wire.CodeInternal, "encode: %v", err)
		}
		res.Records[0].raw = raw
		rt := g.rt()
		rt.ring.put(chatterEntry{seq: rec.Msg.Seq, time: rec.Msg.Time, msg: raw})
		res.Aux = []AuxWrite{{Key: chatterKey(rt.ring.slot(rec.Msg.Seq)), Value: raw}}
	}
	return res
}

// roomLimits applies slow mode and the per-viewer rate (not to owner and
// admins), then the room's chatter cap (chatter only).
func (g *GroupMachine) roomLimits(c Command, staff bool, lane wire.Lane) *wire.Error {
	rt, now := g.rt(), time.UnixMilli(c.Now)
	if !staff {
		if s := g.st.Room.SlowModeS; s > 0 {
			if ok, wait := rt.slow.Allow(c.User, now, time.Duration(s)*time.Second); !ok {
				return rateLimited(wait, "slow mode: one message per %d s", s)
			}
		}
		if ok, wait := rt.viewers.Allow(c.User, now); !ok {
			return rateLimited(wait, "at most %g messages per second per viewer", g.cfg.Room.ViewerRate)
		}
	}
	if lane == wire.LaneChatter {
		if ok, wait := rt.chatter.Allow(struct{}{}, now); !ok {
			return rateLimited(wait, "the room takes at most %g chatter messages per second", g.cfg.Room.ChatterCap)
		}
	}
	return nil
}

func rateLimited(wait time.Duration, format string, args ...any) *wire.Error {
	e := wire.Errorf(wire.CodeRateLimited, format, args...)
	ms := wait.Milliseconds()
	if wait%time.Millisecond != 0 {
		ms++
	}
	e.RetryAfter = max(ms, 1)
	return e
}

func rateOf(perSecond float64) rate.Limit { return rate.Limit(perSecond) }

// roomHistory pages a room's history for anyone signed in: journal and
// retained chatter merged by seq.
func (g *GroupMachine) roomHistory(r *req[wire.HistoryArgs]) Effects {
	e := g.history(r)
	q := e.Read
	if q == nil {
		return e
	}
	q.Room = true
	q.Chatter = g.retained(q.From, q.To, r.Now, q.Limit+1, q.Reverse)
	return e
}

// roomMute mutes a viewer (or a member below the caller).
func (g *GroupMachine) roomMute(r *req[wire.TargetArgs]) Effects {
	a := &r.args
	if g.IsMember(a.User) {
		return g.mute(r)
	}
	switch {
	case a.Duration < 0 || a.Duration > MaxMuteMillis:
		return fail(wire.CodeBadRequest, "mute duration must be 0..%d ms", int64(MaxMuteMillis))
	case a.Duration == 0 && g.st.Room.Muted[a.User] <= r.Now:
		return fail(wire.CodeConflict, "%q is not muted", a.User)
	case a.Duration == 0:
		return g.event(r.Now, sysMsg(wire.EventUnmuted, r.User, a.User, ""), nil)
	}
	msg := sysMsg(wire.EventMuted, r.User, a.User, "")
	msg.Body.System.Until = r.Now + a.Duration
	return g.event(r.Now, msg, nil)
}

// roomSetRole makes a viewer an admin (a member) or an admin a viewer.
func (g *GroupMachine) roomSetRole(r *req[wire.TargetArgs]) Effects {
	a := &r.args
	t := g.st.Members[a.User]
	switch {
	case a.Role != wire.RoleAdmin && a.Role != wire.RoleMember:
		return fail(wire.CodeBadRequest, "role must be admin (1) or member (0)")
	case t != nil && t.Role == wire.RoleOwner:
		return fail(wire.CodeForbidden, "the owner's role changes only by transfer")
	case a.Role == wire.RoleAdmin && t != nil, a.Role == wire.RoleMember && t == nil:
		return fail(wire.CodeConflict, "%q is already %s", a.User, a.Role)
	case a.Role == wire.RoleAdmin && len(g.st.Members) > g.cfg.MaxAdmins:
		return fail(wire.CodeLimitReached, "a room has at most %d admins", g.cfg.MaxAdmins)
	}
	return g.event(r.Now, sysMsg(wire.EventRole, r.User, a.User, a.Role.String()), &change{Role: a.Role})
}

func (g *GroupMachine) roomConfig(r *req[wire.RoomConfigArgs]) Effects {
	if err := g.isRoom(); err != nil {
		return refuse(err)
	}
	if err := g.hasRole(r.User, wire.RoleAdmin, "change the room's settings"); err != nil {
		return refuse(err)
	}
	rs := g.st.Room
	if rs.Closed {
		return fail(wire.CodeRoomClosed, "room %q is closed", g.st.ID)
	}
	a := &r.args
	next := roomState{WindowMS: rs.WindowMS, SlowModeS: rs.SlowModeS}
	var fields []string
	if a.WindowMS != nil {
		if *a.WindowMS < 0 || *a.WindowMS > wire.MaxRoomWindowMS {
			return fail(wire.CodeBadRequest, "window_ms must be 0..%d", wire.MaxRoomWindowMS)
		}
		next.WindowMS = *a.WindowMS
		fields = append(fields, "window_ms")
	}
	if a.SlowModeS != nil {
		if *a.SlowModeS < 0 || *a.SlowModeS > wire.MaxSlowModeS {
			return fail(wire.CodeBadRequest, "slow_mode_s must be 0..%d", wire.MaxSlowModeS)
		}
		next.SlowModeS = *a.SlowModeS
		fields = append(fields, "slow_mode_s")
	}
	if len(fields) == 0 {
		return fail(wire.CodeBadRequest, "nothing to change")
	}
	return g.event(r.Now, sysMsg(wire.EventRoomConfig, r.User, "", strings.Join(fields, ",")), &change{Room: &next})
}

func (g *GroupMachine) notJoinable(r *req[none]) Effects {
	return fail(wire.CodeNotAllowed, "room %q is watched (watch_room), not joined", g.st.ID)
}
