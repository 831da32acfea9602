package actors

import (
	"sort"
	"strconv"

	"github.com/qunchat/qun/wire"
)

// Content: send, history, members, announcements, pins, stats.

func (g *GroupMachine) send(r *req[wire.SendArgs]) Effects {
	a := &r.args
	if len(a.CMID) > MaxCMIDLen {
		return fail(wire.CodeBadRequest, "client message id longer than %d bytes", MaxCMIDLen)
	}
	g.expireDedup(r.Now)
	if a.CMID != "" {
		if e, dup := g.dedup[dedupKey{r.User, a.CMID}]; dup {
			// A retry: the first seq, once that one is durable.
			res := ok(wire.SendResult{Seq: e.Seq, Time: e.Time, Dup: true})
			if e.Seq > g.durable {
				res.ReplyAfter = e.Seq
			}
			return res
		}
	}
	if err := g.notDissolved(); err != nil {
		return refuse(err)
	}
	if err := g.unmuted(r.User, r.Now); err != nil {
		return refuse(err)
	}
	if g.st.MuteAll && g.st.Members[r.User].Role == wire.RoleMember {
		return fail(wire.CodeMuted, "group %q is muted: only the owner and admins may speak", g.st.ID)
	}
	msg := wire.Message{Sender: r.User, CMID: a.CMID, Type: a.Type, Body: a.Body}
	if err := msg.Check(g.cfg.MaxText); err != nil {
		return refuse(err.(*wire.Error))
	}
	evs, werr := g.sendRules(r.User, r.Now, &msg)
	if werr != nil {
		return refuse(werr)
	}
	rec := g.newRecord(r.Now, msg, nil)
	e := okAfter(wire.SendResult{Seq: rec.Msg.Seq, Time: rec.Msg.Time}, rec)
	e.HostEvents = stamp(evs, rec.Msg.Seq)
	return e
}

func (g *GroupMachine) history(r *req[wire.HistoryArgs]) Effects {
	a := &r.args
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
		if *a.After >= g.durable { // nothing after it (and After+1 must not wrap to 0)
			q.From = 1
			q.To = 0
		}
	} else {
		q.Reverse = true
		q.From, q.To = 1, g.durable
		if a.Before > 0 && a.Before-1 < q.To {
			q.To = a.Before - 1
		}
	}
	return Effects{Read: q}
}

func (g *GroupMachine) members(r *req[wire.MembersArgs]) Effects {
	a := &r.args
	limit := a.Limit
	if limit <= 0 || limit > maxMembersPage {
		limit = maxMembersPage
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

func (g *GroupMachine) announce(r *req[wire.AnnounceArgs]) Effects {
	if err := g.unmuted(r.User, r.Now); err != nil {
		return refuse(err)
	}
	text := r.args.Text
	if text == "" || !validText(text, g.cfg.MaxAnnounce) {
		return fail(wire.CodeBadRequest, "announcement must be 1..%d bytes of UTF-8", g.cfg.MaxAnnounce)
	}
	return g.event(r.Now, sysMsg(wire.EventAnnounce, r.User, "", text), nil)
}

func (g *GroupMachine) ackAnnounce(r *req[none]) Effects {
	ann := g.st.Announcement
	if ann == nil {
		return fail(wire.CodeNotFound, "group %q has no announcement", g.st.ID)
	}
	if g.acks[r.User] == ann.Seq {
		return ok(wire.Empty{})
	}
	g.acks[r.User] = ann.Seq
	e := okAux(wire.Empty{}, AuxWrite{Key: auxAck + r.User, Value: mustMarshal(ann.Seq)})
	// The announcement may not be durable yet if it was just posted.
	e.ReplyAfter = ann.Seq
	return e
}

func (g *GroupMachine) announceState(*req[none]) Effects {
	res := wire.AnnounceStateResult{Announcement: g.st.Announcement, Unacked: []string{}}
	if ann := g.st.Announcement; ann != nil {
		for u := range g.st.Members {
			if g.acks[u] == ann.Seq {
				res.Acked++
			} else if u != ann.By {
				res.Unacked = append(res.Unacked, u)
			}
		}
		sort.Strings(res.Unacked)
		if len(res.Unacked) > MaxUnackedList {
			res.Unacked = res.Unacked[:MaxUnackedList]
		}
		// The announcement itself takes up to MaxDescLen+ bytes of the reply.
		res.Unacked = res.Unacked[:wire.Fit(res.Unacked, g.cfg.MaxReplyBytes-2048)]
	}
	return ok(res)
}

func (g *GroupMachine) pin(r *req[wire.PinArgs]) Effects {
	a := &r.args
	if a.Seq == 0 || a.Seq > g.durable {
		return fail(wire.CodeNotFound, "no message %d", a.Seq)
	}
	pinned := false
	for _, p := range g.st.Pins {
		pinned = pinned || p == a.Seq
	}
	event := wire.EventPinned
	switch {
	case a.Unpin && !pinned:
		return fail(wire.CodeNotFound, "message %d is not pinned", a.Seq)
	case a.Unpin:
		event = wire.EventUnpinned
	case pinned:
		return fail(wire.CodeConflict, "message %d is already pinned", a.Seq)
	case len(g.st.Pins) >= g.cfg.MaxPins:
		return fail(wire.CodeLimitReached, "a group pins at most %d messages", g.cfg.MaxPins)
	}
	return g.event(r.Now, sysMsg(event, r.User, "", strconv.FormatUint(a.Seq, 10)), &change{Seq: a.Seq})
}

// stats answers from counters kept by apply: nothing is scanned.
func (g *GroupMachine) stats(r *req[none]) Effects {
	today := r.Now / day
	s := wire.GroupStats{Group: g.st.ID, Members: len(g.st.Members), Female: g.st.Female,
		MsgsYesterday: g.st.DayMsgs[today-1], MsgsToday: g.st.DayMsgs[today]}
	for d := today - 6; d <= today; d++ {
		s.Active7d += g.st.ActiveDays[d]
	}
	if g.st.BirthN > 0 && r.host.Year > 0 {
		s.AverageAge = float64(r.host.Year) - float64(g.st.BirthSum)/float64(g.st.BirthN)
	}
	return ok(s)
}
