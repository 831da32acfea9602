package main

import (
	"fmt"
	"strings"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// Content: messages, history, members, a group's description, my groups,
// announcements, pins and stats.

var messageCommands = []command{
	{name: "send", args: "GROUP [TEXT...] [--at U,U|all] [--image URL --w W --h H] [--video ID|--live ROOM|--product ID|--link URL] [--title T] [--sticker P/ID] [--location LAT,LNG] [--custom TYPE --fields k=v]",
		min: 1, max: -1, help: "send a message (text, or a rich body); prints its seq once durable", run: cmdSend,
		check: func(x *cli) error { _, _, err := x.body(); return err }},
	{name: "history", args: "GROUP [--after SEQ] [--before SEQ] [--limit N]", min: 1, max: 1,
		help: "print messages, one per line: SEQ SENDER TEXT", run: call(history, printHistory)},
	{name: "members", args: "GROUP", min: 1, max: 1, help: "list members: USER ROLE", run: cmdMembers},
	{name: "info", args: "GROUP", min: 1, max: 1, help: "describe a group: profile, rules, announcement, pins, your role",
		run: call(func(x *cli) (wire.GroupInfo, error) { return x.c.GroupInfo(x.ctx, x.pos[0]) }, printInfo)},
	{name: "groups", min: 0, max: 0, help: "my groups with unread counts, pinned first",
		run: call(func(x *cli) ([]wire.MyGroup, error) { return x.c.MyGroups(x.ctx) }, printMyGroups)},
	{name: "read", args: "GROUP SEQ", min: 2, max: 2, help: "mark messages up to SEQ read", run: act(func(x *cli) error {
		s, err := parseSeq(x.pos[1])
		if err != nil {
			return err
		}
		return x.c.MarkRead(x.ctx, x.pos[0], s)
	}, "")},
}

var groupContentCommands = []command{
	{name: "announce", args: "GROUP TEXT...", min: 2, max: -1, help: "publish the group's announcement",
		run: seq(func(x *cli) (uint64, error) { return x.c.Announce(x.ctx, x.pos[0], x.rest(1)) }, "announced in {1} (seq {seq})")},
	{name: "ack", args: "GROUP", min: 1, max: 1, help: "acknowledge the announcement",
		run: act(func(x *cli) error { return x.c.AckAnnouncement(x.ctx, x.pos[0]) }, "acknowledged the announcement of {1}")},
	{name: "announcement", args: "GROUP", min: 1, max: 1, help: "show the announcement (and, for admins, who has not acknowledged it)", run: cmdAnnouncement},
	{name: "pin", args: "GROUP SEQ", min: 2, max: 2, help: "pin a message", run: pin(false)},
	{name: "unpin", args: "GROUP SEQ", min: 2, max: 2, help: "unpin a message", run: pin(true)},
	{name: "stats", args: "GROUP", min: 1, max: 1, help: "members, female members, active in 7 days, average age, messages",
		run: call(func(x *cli) (wire.GroupStats, error) { return x.c.GroupStats(x.ctx, x.pos[0]) }, printStats)},
}

func history(x *cli) (wire.HistoryResult, error) {
	ha := wire.HistoryArgs{Group: x.pos[0], Before: x.o.before, Limit: x.o.limit}
	if x.o.set("after") {
		ha.After = wire.After(x.o.after)
	}
	return x.c.History(x.ctx, ha)
}

func printHistory(x *cli, h wire.HistoryResult) {
	for _, m := range h.Msgs {
		x.printf("%s\n", formatMsg(m))
	}
}

func cmdMembers(x *cli) error {
	next := ""
	for {
		r, err := x.c.Members(x.ctx, wire.MembersArgs{Group: x.pos[0], After: next})
		if err != nil {
			return err
		}
		for _, m := range r.Members {
			x.printf("%s %s\n", m.User, m.Role)
		}
		if next = r.Next; next == "" {
			return nil
		}
	}
}

func printInfo(x *cli, i wire.GroupInfo) {
	x.printf("group %s\nname %s\nowner %s\nmembers %d/%d\nlast_seq %d\n", i.Group, i.Name, i.Owner, i.Members, i.MaxMember, i.LastSeq)
	x.printf("policy %s\nsearchable %v\nmembers_invite %v\nmute_all %v\n", policyName(i.Join), i.Searchable, i.MembersInvite, i.MuteAll)
	if i.Kind == wire.KindFan && i.Threshold != nil {
		x.printf("kind fan\nthreshold %s\n", i.Threshold.Words())
	}
	var location, announcement string
	if l := i.Location; l != nil {
		location = fmt.Sprintf("%g,%g %s", l.Lat, l.Lng, l.City)
	}
	if a := i.Announcement; a != nil {
		announcement = fmt.Sprintf("#%d by %s at %s: %s", a.Seq, a.By, fmtTime(a.At), oneLine(a.Text))
	}
	// The optional lines, printed when set.
	for _, kv := range [][2]string{
		{"description", oneLine(i.Description)}, {"avatar", i.Avatar}, {"category", i.Category}, {"location", location},
		{"admins", strings.Join(i.Admins, " ")}, {"pins", joinSeqs(i.Pins)}, {"announcement", announcement},
	} {
		if kv[1] != "" {
			x.printf("%s %s\n", kv[0], kv[1])
		}
	}
	if i.YourRole != nil {
		x.printf("your_role %s\n", *i.YourRole)
	} else {
		x.printf("your_role none (not a member)\n")
	}
	if i.MutedUntil > 0 {
		x.printf("muted_until %s\n", fmtTime(i.MutedUntil))
	}
	if i.Dissolved {
		x.printf("dissolved true\n")
	}
}

func printMyGroups(x *cli, gs []wire.MyGroup) {
	for _, mg := range gs {
		pin := ""
		if mg.Pinned {
			pin = " [pinned]"
		}
		if mg.Mentioned > 0 {
			pin += fmt.Sprintf(" [@me %d]", mg.Mentioned)
		}
		x.printf("%s %s unread=%d last_seq=%d%s\n", mg.Group, mg.Name, mg.Unread, mg.LastSeq, pin)
	}
}

// cmdAnnouncement shows the current announcement; to the owner and admins
// also who has not acknowledged it.
func cmdAnnouncement(x *cli) error {
	i, err := x.c.GroupInfo(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	if i.YourRole == nil {
		return fmt.Errorf("only members see the announcement of %s", x.pos[0])
	}
	a := i.Announcement
	if a == nil {
		x.printf("%s has no announcement\n", x.pos[0])
		return nil
	}
	strong := ""
	if a.Strong {
		strong = " [strong: acknowledge it with qun ack]"
	}
	x.printf("announcement #%d by %s at %s%s\n%s\n", a.Seq, a.By, fmtTime(a.At), strong, a.Text)
	if *i.YourRole < wire.RoleAdmin {
		return nil
	}
	st, err := x.c.AnnouncementState(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	x.printf("acknowledged by %d; not yet by %d:", st.Acked, len(st.Unacked))
	for _, u := range st.Unacked {
		x.printf(" %s", u)
	}
	x.printf("\n")
	return nil
}

// pin is the pin (or unpin) command.
func pin(unpin bool) func(*cli) error {
	do, verb := (*client.Client).Pin, "pinned"
	if unpin {
		do, verb = (*client.Client).Unpin, "unpinned"
	}
	return func(x *cli) error {
		msg, err := parseSeq(x.pos[1])
		if err != nil {
			return err
		}
		ev, err := do(x.c, x.ctx, x.pos[0], msg)
		if err != nil {
			return err
		}
		x.printf("%s message %d in %s (seq %d)\n", verb, msg, x.pos[0], ev)
		return nil
	}
}

func printStats(x *cli, s wire.GroupStats) {
	x.printf("group %s\nmembers %d\nfemale %d\nactive_7d %d\naverage_age %.1f\nmsgs_yesterday %d\nmsgs_today %d\n",
		s.Group, s.Members, s.Female, s.Active7d, s.AverageAge, s.MsgsYesterday, s.MsgsToday)
}
