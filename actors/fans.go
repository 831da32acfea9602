package actors

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/qunchat/qun/internal/ratelimit"
	"github.com/qunchat/qun/wire"
)

// Fan groups: a group's kind, its join threshold, its place on the
// creator's homepage, and the per-group state of creator tools (notice ids,
// diversion policy, the @all quota).

// FanFacts are what the host says about the caller as a fan of the group's
// owner: the follow edge with its start, and the fan-club level.
type FanFacts struct {
	Creator string `msgpack:"creator"`
	Follows bool   `msgpack:"follows,omitempty"`
	Since   int64  `msgpack:"since,omitempty"` // unix ms the follow began
	Level   int    `msgpack:"level,omitempty"`
}

// FanOwner answers OpFanOwner: whether a group is a fan group and its owner,
// so the engine knows whose fan facts to ask the host for.
type FanOwner struct {
	Fan   bool   `msgpack:"fan"`
	Owner string `msgpack:"owner"`
}

type fanState struct {
	Kind      wire.GroupKind     `msgpack:"kind,omitempty"`
	Threshold wire.Threshold     `msgpack:"thr,omitempty"`
	Order     int                `msgpack:"order,omitempty"`
	Notices   map[string]uint64  `msgpack:"notices,omitempty"` // creator-notice id → seq
	NoticeQ   []string           `msgpack:"notice_q,omitempty"`
	Divert    wire.DivertPolicy  `msgpack:"divert,omitempty"`
	AtAll     ratelimit.DayCount `msgpack:"at_all,omitempty"`
	Strong    bool               `msgpack:"strong,omitempty"` // the current announcement is strong
}

type fanChange struct {
	Kind      wire.GroupKind    `msgpack:"kind,omitempty"`
	Threshold *wire.Threshold   `msgpack:"thr,omitempty"`
	Order     *int              `msgpack:"order,omitempty"`
	Avatar    string            `msgpack:"avatar,omitempty"`
	Notice    string            `msgpack:"notice,omitempty"` // a creator notice's id
	Divert    wire.DivertPolicy `msgpack:"divert,omitempty"`
	Recalled  uint64            `msgpack:"recalled,omitempty"`
}

func (g *GroupMachine) isFan() bool { return g.st.Fan.Kind == wire.KindFan }

// createFan is OpCreateFanGroup: create with kind fan (the engine has
// reserved a fan-group slot under the creator's tier and put the tier's
// member limit in the host facts).
func (g *GroupMachine) createFan(r *req[wire.CreateFanGroupArgs]) Effects {
	a := &r.args
	if err := a.Threshold.Check(); err != nil {
		return refuse(err)
	}
	if a.Order < 0 || a.Order > wire.MaxFanOrder {
		return fail(wire.CodeBadRequest, "order must be 0..%d", wire.MaxFanOrder)
	}
	if !validText(a.Avatar, MaxAvatarLen) {
		return fail(wire.CodeBadRequest, "avatar longer than %d bytes", MaxAvatarLen)
	}
	thr, order := a.Threshold, a.Order
	e := g.create(&req[wire.CreateGroupArgs]{Command: r.Command, host: r.host, args: wire.CreateGroupArgs{Name: a.Name, Join: a.Join}})
	if e.Err != nil {
		return e
	}
	// create applied its record; the fan settings ride on the same record.
	rec := &e.Records[0]
	rec.Change.Fan = &fanChange{Kind: wire.KindFan, Threshold: &thr, Order: &order, Avatar: a.Avatar}
	g.applyFanChange(rec.Change.Fan)
	return e
}

// setFan is OpSetFanGroup: the owner changes the threshold or the order.
// Members who joined under a looser threshold stay.
func (g *GroupMachine) setFan(r *req[wire.SetFanGroupArgs]) Effects {
	a := &r.args
	if !g.isFan() {
		return fail(wire.CodeNotAllowed, "group %q is not a fan group", g.st.ID)
	}
	if a.Threshold == nil && a.Order == nil {
		return fail(wire.CodeBadRequest, "nothing to change")
	}
	text := ""
	if a.Threshold != nil {
		if err := a.Threshold.Check(); err != nil {
			return refuse(err)
		}
		text = "threshold: " + a.Threshold.Words()
	}
	if a.Order != nil {
		if *a.Order < 0 || *a.Order > wire.MaxFanOrder {
			return fail(wire.CodeBadRequest, "order must be 0..%d", wire.MaxFanOrder)
		}
		text = fmt.Sprintf("%s order: %d", text, *a.Order)
	}
	return g.event(r.Now, sysMsg(wire.EventFanSettings, r.User, "", text), &change{Fan: &fanChange{Threshold: a.Threshold, Order: a.Order}})
}

// applyFanChange is apply's part for fan settings.
func (g *GroupMachine) applyFanChange(c *fanChange) {
	if c == nil {
		return
	}
	if c.Kind != 0 {
		g.st.Fan.Kind = c.Kind
	}
	setIf(&g.st.Fan.Threshold, c.Threshold)
	setIf(&g.st.Fan.Order, c.Order)
	if c.Avatar != "" {
		g.st.Avatar = c.Avatar
	}
}

// fanOwner is OpFanOwner.
func (g *GroupMachine) fanOwner(*req[none]) Effects {
	return ok(FanOwner{Fan: g.isFan(), Owner: g.st.Owner})
}

// meetsThreshold checks a would-be member of a fan group against its
// threshold, with the host's facts. Other groups pass.
func (g *GroupMachine) meetsThreshold(now int64, f *FanFacts) *wire.Error {
	t := g.st.Fan.Threshold
	if !g.isFan() || t == (wire.Threshold{}) {
		return nil
	}
	if f == nil || f.Creator != g.st.Owner {
		return wire.Errorf(wire.CodeUnavailable, "the creator's fan facts were not available; try again")
	}
	owner := g.st.Owner
	if (t.Follow || t.FollowDays > 0) && !f.Follows {
		return wire.Errorf(wire.CodeThresholdNotMet, "follow: follow %s to join this fan group", owner)
	}
	if t.FollowDays > 0 {
		need := int64(t.FollowDays) * day
		if have := now - f.Since; have < need {
			more := (need - have + day - 1) / day
			return wire.Errorf(wire.CodeThresholdNotMet, "follow_days: follow %s for %d more day%s (needs %d days, followed %d)",
				owner, more, plural(more), t.FollowDays, max(have, 0)/day)
		}
	}
	if t.Level > 0 && f.Level < t.Level {
		return wire.Errorf(wire.CodeThresholdNotMet, "level: reach fan-club level %d with %s (you are at level %d)", t.Level, owner, f.Level)
	}
	return nil
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// words is the threshold and the join policy in words.
func (g *GroupMachine) words() string {
	w := g.st.Fan.Threshold.Words()
	switch g.st.Join {
	case wire.JoinApproval:
		w += "; needs approval"
	case wire.JoinInvite:
		w += "; invitation or invite code only"
	}
	return w
}

// fanCard is OpFanCard: the group as the creator's homepage shows it to the
// caller, whose fan facts the engine attached.
func (g *GroupMachine) fanCard(r *req[none]) Effects {
	if !g.isFan() || g.st.Dissolved {
		return fail(wire.CodeNotFound, "group %q is not a live fan group", g.st.ID)
	}
	c := wire.FanCard{Group: g.st.ID, Name: g.st.Name, Avatar: g.st.Avatar, Members: len(g.st.Members),
		MaxMembers: g.st.MaxMembers, Join: g.st.Join, Threshold: g.st.Fan.Threshold, Words: g.words(),
		Order: g.st.Fan.Order, Member: g.IsMember(r.User)}
	err := g.joinable(r.User)
	if err == nil {
		err = g.meetsThreshold(r.Now, r.host.Fan)
	}
	if err == nil && g.st.Join == wire.JoinInvite {
		err = wire.Errorf(wire.CodeNotAllowed, "invitation or invite code only")
	}
	c.MayJoin = err == nil
	if err != nil {
		c.Why = err.Msg
	}
	return ok(c)
}

// SortFanCards puts cards in the creator's order (then by name and id).
func SortFanCards(cs []wire.FanCard) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Group < b.Group
	})
}

// atAllDay is the @all quota's day of t (China time).
func atAllDay(ms int64) int64 { return ratelimit.DayOf(time.UnixMilli(ms), ratelimit.ChinaTime) }

// applyFanEvent is apply's part for the system events of fan groups and
// creator tools.
func (g *GroupMachine) applyFanEvent(m *wire.Message, c *change) {
	sb := m.Body.System
	switch sb.Event {
	case wire.EventFanSettings:
		g.applyFanChange(c.Fan)
	case wire.EventStrongAnnounce:
		g.st.Announcement = &wire.Announcement{Seq: m.Seq, Text: sb.Text, By: sb.Actor, At: m.Time, Strong: true}
		g.st.Fan.Strong = true
	case wire.EventDivert:
		if c.Fan != nil {
			g.st.Fan.Divert = c.Fan.Divert
		}
	case wire.EventRecalled:
		// A recalled message no longer counts as mentioning anyone (its
		// tombstone, which replay reads, mentions nobody either).
		if seq, err := strconv.ParseUint(sb.Text, 10, 64); err == nil {
			for _, mm := range g.st.Members {
				if i := slices.Index(mm.Mentions, seq); i >= 0 {
					mm.Mentions = slices.Delete(mm.Mentions, i, i+1)
				}
			}
		}
	}
}

// applyContent is apply's part for a posted message: mentions, the @all
// quota, and the id of a creator notice.
func (g *GroupMachine) applyContent(m *wire.Message, c *change) {
	if c.Fan != nil && c.Fan.Notice != "" {
		g.rememberNotice(c.Fan.Notice, m.Seq)
	}
	if m.Body.Text == nil {
		return
	}
	for _, u := range m.Body.Text.Mentions {
		if u == wire.MentionAll {
			d := atAllDay(m.Time)
			if g.st.Fan.AtAll.Day != d {
				g.st.Fan.AtAll = ratelimit.DayCount{Day: d}
			}
			g.st.Fan.AtAll.N++
			for id, mm := range g.st.Members {
				if id != m.Sender {
					g.mentioned(mm, m.Seq)
				}
			}
			continue
		}
		if mm := g.st.Members[u]; mm != nil && u != m.Sender {
			g.mentioned(mm, m.Seq)
		}
	}
}

// mentioned records a mention of a member, keeping at most MaxMentionSeqs.
func (g *GroupMachine) mentioned(mm *memberState, seq uint64) {
	if n := len(mm.Mentions); n > 0 && mm.Mentions[n-1] == seq {
		return // mentioned twice in one message (by name and @all)
	}
	mm.Mentions = append(mm.Mentions, seq)
	if over := len(mm.Mentions) - g.cfg.Fans.MaxMentionSeqs; over > 0 {
		mm.Mentions = append(mm.Mentions[:0], mm.Mentions[over:]...)
	}
}

// rememberNotice keeps a creator notice's id (bounded, oldest forgotten).
func (g *GroupMachine) rememberNotice(id string, seq uint64) {
	if g.st.Fan.Notices == nil {
		g.st.Fan.Notices = map[string]uint64{}
	}
	if _, ok := g.st.Fan.Notices[id]; ok {
		return
	}
	g.st.Fan.Notices[id] = seq
	g.st.Fan.NoticeQ = append(g.st.Fan.NoticeQ, id)
	for len(g.st.Fan.NoticeQ) > g.cfg.Fans.MaxNotices {
		delete(g.st.Fan.Notices, g.st.Fan.NoticeQ[0])
		g.st.Fan.NoticeQ = g.st.Fan.NoticeQ[1:]
	}
}

// MentionsAfter counts the caller's mentions after seq (for my_groups).
func (g *GroupMachine) mentionsOf(user string) []uint64 {
	if mm := g.st.Members[user]; mm != nil && len(mm.Mentions) > 0 {
		return append([]uint64(nil), mm.Mentions...)
	}
	return nil
}
