package actors

import "github.com/qunchat/qun/wire"

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
	default: // text and rich messages (and their recalled tombstones on replay)
		if m.CMID != "" {
			e := dedupEntry{User: m.Sender, CMID: m.CMID, Seq: m.Seq, Time: m.Time}
			g.dedup[dedupKey{e.User, e.CMID}] = e
			g.dedupQ = append(g.dedupQ, e)
		}
		g.posted(m.Sender, m.Time/day)
		g.applyContent(m, c)
	case wire.MsgSystem:
		sb := m.Body.System
		g.reindex = true
		if g.applyRoom(m, c) {
			break
		}
		switch sb.Event {
		case wire.EventCreated:
			g.st.Exists = true
			g.st.Owner = sb.Actor
			g.st.Created = m.Time
			g.st.Name, g.st.Join, g.st.MaxMembers = c.Name, c.Join, c.MaxMembers
			g.addMember(sb.Actor, wire.RoleOwner, m.Time, c.Facts)
			g.applyFanChange(c.Fan)
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
			g.st.Fan.Strong = false
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
			g.applyFanEvent(m, c)
		}
	}
}

func (g *GroupMachine) applyUpdate(c *change) {
	if p := c.Profile; p != nil {
		setIf(&g.st.Name, p.Name)
		setIf(&g.st.Avatar, p.Avatar)
		setIf(&g.st.Desc, p.Description)
		setIf(&g.st.Category, p.Category)
		setIf(&g.st.Searchable, p.Searchable)
		if p.Location != nil {
			g.st.Lat, g.st.Lng, g.st.City, g.st.HasLoc = p.Location.Lat, p.Location.Lng, p.Location.City, true
		}
	}
	setIf(&g.st.Join, c.JoinSet)
	setIf(&g.st.MembersInvite, c.MembersInvite)
}

// setIf sets *dst to *v when v is given.
func setIf[T any](dst, v *T) {
	if v != nil {
		*dst = *v
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
	if g.st.Room != nil && msg.Type == wire.MsgSystem {
		msg.Lane = wire.LaneHigh
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

// event writes one record and answers with its seq once durable.
func (g *GroupMachine) event(now int64, msg wire.Message, ch *change) Effects {
	r := g.newRecord(now, msg, ch)
	return okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
}
