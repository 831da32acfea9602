package actors

import (
	"sort"

	"github.com/qunchat/qun/wire"
)

// Creator notices and strong-notification announcements.

// postNotice is OpPostNotice: one creator notice in this fan group,
// idempotent on the notice id. The engine fans one call out to every fan
// group of the creator.
func (g *GroupMachine) postNotice(r *req[wire.CreatorNoticeArgs]) Effects {
	a := &r.args
	if !g.isFan() {
		return fail(wire.CodeNotAllowed, "group %q is not a fan group", g.st.ID)
	}
	msg, err := a.Message()
	if err != nil {
		return refuse(err)
	}
	if seq, dup := g.st.Fan.Notices[a.ID]; dup {
		e := ok(wire.NoticeGroup{Group: g.st.ID, Seq: seq, Dup: true})
		if seq > g.durable {
			e.ReplyAfter = seq
		}
		return e
	}
	msg.Sender, msg.CMID = r.User, noticeCMID+a.ID
	rec := g.newRecord(r.Now, msg, &change{Fan: &fanChange{Notice: a.ID}})
	return okAfter(wire.NoticeGroup{Group: g.st.ID, Seq: rec.Msg.Seq}, rec)
}

// announceStrong is OpAnnounceStrong: an announcement clients show
// prominently and members must acknowledge (ack_announcement); members who
// are not online get the host's offline push.
func (g *GroupMachine) announceStrong(r *req[wire.AnnounceArgs]) Effects {
	if err := g.unmuted(r.User, r.Now); err != nil {
		return refuse(err)
	}
	text := r.args.Text
	if text == "" || !validText(text, g.cfg.MaxAnnounce) {
		return fail(wire.CodeBadRequest, "announcement must be 1..%d bytes of UTF-8", g.cfg.MaxAnnounce)
	}
	e := g.event(r.Now, sysMsg(wire.EventStrongAnnounce, r.User, "", text), nil)
	if to := g.staffAndMembersBut(r.User); len(to) > 0 {
		e.HostEvents = []HostEvent{{Kind: HostPush, Group: g.st.ID, Seq: e.Records[0].Msg.Seq, Users: to, From: r.User, Text: text}}
	}
	return e
}

// staffAndMembersBut lists every member except user, sorted.
func (g *GroupMachine) staffAndMembersBut(user string) []string {
	out := make([]string, 0, len(g.st.Members))
	for u := range g.st.Members {
		if u != user {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}
