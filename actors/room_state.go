package actors

import (
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/internal/ratelimit"
	"github.com/qunchat/qun/wire"
)

// A live room is a group whose state has a Room. Its owner and admins are
// its members; viewers are not: watching writes nothing, and the machine
// keeps no per-viewer state (only per-node viewer counts and, for those who
// speak, bounded rate-limit entries).

// roomState is the persisted part of a room (in snapshots).
type roomState struct {
	Stream    string           `msgpack:"stream"`
	WindowMS  int              `msgpack:"window"`
	SlowModeS int              `msgpack:"slow,omitempty"`
	Closed    bool             `msgpack:"closed,omitempty"`
	Muted     map[string]int64 `msgpack:"muted,omitempty"` // viewers (not members) muted until (unix ms)
}

// roomRuntime is a room's state that is not persisted: chatter retention
// (rebuilt from aux keys), rate limiters and per-node viewer counts.
type roomRuntime struct {
	ring    chatterRing
	viewers *ratelimit.Limiter[string]
	slow    *ratelimit.SlowMode[string]
	chatter *ratelimit.Limiter[struct{}]
	nodes   map[string]nodeCount // hub key → viewers there
}

type nodeCount struct {
	n       int
	expires int64 // unix ms
}

// IsRoom reports whether the group is a live room.
func (g *GroupMachine) IsRoom() bool { return g.st.Room != nil }

// RoomWindow is the room's merge window (0 for groups).
func (g *GroupMachine) RoomWindow() time.Duration {
	if g.st.Room == nil {
		return 0
	}
	return time.Duration(g.st.Room.WindowMS) * time.Millisecond
}

// rt returns the room's runtime state, created on first use.
func (g *GroupMachine) rt() *roomRuntime {
	if g.room != nil {
		return g.room
	}
	c := g.cfg.Room
	viewers, err1 := ratelimit.New[string](ratelimit.Config{Rate: rateOf(c.ViewerRate), Burst: c.ViewerBurst, MaxKeys: c.MaxSpeakers})
	slow, err2 := ratelimit.NewSlowMode[string](ratelimit.SlowModeConfig{MaxKeys: c.MaxSpeakers})
	chatter, err3 := ratelimit.New[struct{}](ratelimit.Config{Rate: rateOf(c.ChatterCap), Burst: c.ChatterBurst, MaxKeys: 1})
	if err1 != nil || err2 != nil || err3 != nil {
		panic("actors: room limiter config: validated by RoomConfig.Validate")
	}
	g.room = &roomRuntime{ring: chatterRing{max: c.RetainMax}, viewers: viewers, slow: slow, chatter: chatter, nodes: map[string]nodeCount{}}
	return g.room
}

// online sums the unexpired node counts at now (unix ms).
func (rt *roomRuntime) online(now int64) int {
	n := 0
	for k, c := range rt.nodes {
		if c.expires < now {
			delete(rt.nodes, k)
			continue
		}
		n += c.n
	}
	return n
}

// chatterEntry is one retained chatter message.
type chatterEntry struct {
	seq  uint64
	time int64
	msg  RawMessage
}

// chatterRing keeps chatter by seq modulo max: a room's chatter among its
// last max seqs. Slots are allocated on first use.
type chatterRing struct {
	max     int
	entries []chatterEntry
}

func (r *chatterRing) slot(seq uint64) int { return int(seq % uint64(r.max)) }

func (r *chatterRing) put(e chatterEntry) {
	if r.entries == nil {
		r.entries = make([]chatterEntry, r.max)
	}
	s := &r.entries[r.slot(e.seq)]
	if e.seq >= s.seq {
		*s = e
	}
}

// get returns the retained entry of seq, if any.
func (r *chatterRing) get(seq uint64) (chatterEntry, bool) {
	if r.entries == nil || seq == 0 {
		return chatterEntry{}, false
	}
	e := r.entries[r.slot(seq)]
	return e, e.seq == seq
}

// chatterKey is the aux key (relative to AuxPrefix) of a ring slot.
func chatterKey(slot int) string { return auxChatter + strconv.Itoa(slot) }

// chatterFrom is the oldest seq whose chatter may still be retained given
// the last seq (RetainAge may have dropped more of it by now, unix ms).
func (g *GroupMachine) chatterFrom(now int64) uint64 {
	max := uint64(g.cfg.Room.RetainMax)
	from := uint64(1)
	if g.st.LastSeq >= max {
		from = g.st.LastSeq - max + 1
	}
	return from
}

// retained returns the retained chatter in [from, to] at now, ascending, at
// most limit entries taken from the low end (or the high end with newest).
func (g *GroupMachine) retained(from, to uint64, now int64, limit int, newest bool) []chatterEntry {
	rt := g.rt()
	if rt.ring.entries == nil || to < from {
		return nil
	}
	if f := g.chatterFrom(now); from < f {
		from = f
	}
	cut := now - g.cfg.Room.RetainAge.Milliseconds()
	var out []chatterEntry
	take := func(seq uint64) bool {
		if e, ok := rt.ring.get(seq); ok && e.time >= cut {
			out = append(out, e)
		}
		return len(out) < limit
	}
	if newest {
		for s := to; s >= from && s > 0 && take(s); s-- {
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	for s := from; s <= to && take(s); s++ {
	}
	return out
}

// loadChatter restores one ring slot during activation; the room's last
// seq covers every retained chatter message.
func (g *GroupMachine) loadChatter(value []byte) error {
	var h struct {
		Seq  uint64 `msgpack:"seq"`
		Time int64  `msgpack:"ts"`
	}
	if err := wire.Decode(value, &h); err != nil {
		return err
	}
	g.rt().ring.put(chatterEntry{seq: h.Seq, time: h.Time, msg: RawMessage(value)})
	if h.Seq > g.st.LastSeq {
		g.st.LastSeq, g.st.LastTime = h.Seq, h.Time
	}
	if h.Seq > g.durable {
		g.durable = h.Seq
	}
	return nil
}

// applyRoom applies the system events whose meaning is a room's own; it
// reports whether it did.
func (g *GroupMachine) applyRoom(m *wire.Message, c *change) bool {
	sb := m.Body.System
	if sb.Event == wire.EventRoomOpened {
		st := *c.Room
		g.st.Room = &st
		g.st.Exists, g.st.Owner, g.st.Created = true, sb.Actor, m.Time
		g.st.Name, g.st.Join, g.st.MaxMembers = c.Name, wire.JoinInvite, c.MaxMembers
		g.addMember(sb.Actor, wire.RoleOwner, m.Time, UserFacts{})
		return true
	}
	rs := g.st.Room
	if rs == nil {
		return false
	}
	switch sb.Event {
	case wire.EventRoomClosed:
		rs.Closed = true
	case wire.EventRoomConfig:
		if c.Room != nil {
			rs.WindowMS, rs.SlowModeS = c.Room.WindowMS, c.Room.SlowModeS
		}
	case wire.EventMuted, wire.EventUnmuted:
		if g.IsMember(sb.Target) {
			return false
		}
		if rs.Muted == nil {
			rs.Muted = map[string]int64{}
		}
		if sb.Event == wire.EventMuted {
			rs.Muted[sb.Target] = sb.Until
		} else {
			delete(rs.Muted, sb.Target)
		}
	case wire.EventRole: // a viewer made admin becomes a member; an admin made member leaves
		switch {
		case c.Role == wire.RoleAdmin && !g.IsMember(sb.Target):
			g.addMember(sb.Target, wire.RoleAdmin, m.Time, UserFacts{})
			delete(rs.Muted, sb.Target)
		case c.Role == wire.RoleMember && g.IsMember(sb.Target):
			g.removeMember(sb.Target)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// isChatterKey reports whether an aux key is a chatter ring slot.
func isChatterKey(key string) bool { return strings.HasPrefix(key, auxChatter) }
