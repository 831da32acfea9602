package actors

import (
	"slices"
	"time"

	"github.com/qunchat/qun/internal/ratelimit"
	"github.com/qunchat/qun/wire"
)

// sendRules are the creator-tool rules of a send, run after the message
// passed its own checks: @all (owner and admins, a daily quota) and the
// diversion policy (which may rewrite msg). It returns what the host must be
// told once the message is durable (seq filled in by the caller).
func (g *GroupMachine) sendRules(user string, now int64, msg *wire.Message) ([]HostEvent, *wire.Error) {
	var evs []HostEvent
	if t := msg.Body.Text; t != nil && len(t.Mentions) > 0 {
		all := slices.Contains(t.Mentions, wire.MentionAll)
		if all {
			if g.st.Members[user].Role < wire.RoleAdmin {
				return nil, wire.Errorf(wire.CodeForbidden, "only the owner and admins may mention @all")
			}
			at := time.UnixMilli(now)
			if g.st.Fan.AtAll.Remaining(at, ratelimit.ChinaTime, g.cfg.Fans.AtAllPerDay) <= 0 {
				_, _, wait := g.st.Fan.AtAll.Take(at, ratelimit.ChinaTime, g.cfg.Fans.AtAllPerDay)
				return nil, wire.Errorf(wire.CodeLimitReached, "@all is limited to %d a day in this group; next in %s",
					g.cfg.Fans.AtAllPerDay, wait.Round(time.Minute))
			}
		}
		var to []string
		if all {
			to = g.Members()
		} else {
			to = t.Mentions
		}
		to = slices.DeleteFunc(slices.Clone(to), func(u string) bool { return u == user || !g.IsMember(u) })
		if len(to) > 0 {
			slices.Sort(to)
			to = slices.Compact(to)
			evs = append(evs, HostEvent{Kind: HostPush, Group: g.st.ID, Users: to, From: user, Text: "mentioned you"})
		}
	}
	flagged, err := g.applyDivert(msg)
	if err != nil {
		return nil, err
	}
	if flagged != "" {
		evs = append(evs, HostEvent{Kind: HostFlag, Group: g.st.ID, From: user, Text: flagged})
	}
	return evs, nil
}

// stamp sets the seq of host events produced before their record existed.
func stamp(evs []HostEvent, seq uint64) []HostEvent {
	for i := range evs {
		evs[i].Seq = seq
	}
	return evs
}
