package main

import (
	"time"

	"github.com/qunchat/qun/wire"
)

// Moderation: a group's profile and rules, roles, kick, ban, mute,
// ownership and dissolution.

var moderationCommands = []command{
	{name: "update", args: "GROUP [--name N] [--avatar URL] [--desc D] [--category C] [--lat F --lng F [--city C]] [--searchable=true|false] [--policy open|approval|invite] [--members-invite=true|false]",
		min: 1, max: 1, help: "change the group's profile and rules", run: seq(update, "updated {1} (seq {seq})")},
	{name: "admin", args: "GROUP USER", min: 2, max: 2, help: "appoint an admin (owner)", run: role(wire.RoleAdmin)},
	{name: "unadmin", args: "GROUP USER", min: 2, max: 2, help: "remove an admin (owner)", run: role(wire.RoleMember)},
	{name: "kick", args: "GROUP USER", min: 2, max: 2, help: "remove a member",
		run: seq(func(x *cli) (uint64, error) { return x.c.Kick(x.ctx, x.pos[0], x.pos[1]) }, "kicked {2} from {1} (seq {seq})")},
	{name: "ban", args: "GROUP USER", min: 2, max: 2, help: "ban a user (removes them)",
		run: seq(func(x *cli) (uint64, error) { return x.c.Ban(x.ctx, x.pos[0], x.pos[1]) }, "banned {2} from {1} (seq {seq})")},
	{name: "unban", args: "GROUP USER", min: 2, max: 2, help: "lift the ban",
		run: seq(func(x *cli) (uint64, error) { return x.c.Unban(x.ctx, x.pos[0], x.pos[1]) }, "lifted the ban on {2} in {1} (seq {seq})")},
	{name: "mute", args: "GROUP USER DURATION (e.g. 10m, 2h; 0 unmutes)", min: 3, max: 3, help: "mute a member, e.g. 10m, 2h; 0 unmutes", run: cmdMute},
	{name: "muteall", args: "GROUP on|off", min: 2, max: 2, help: "only the owner and admins may post, or everyone again",
		run: onOff(func(x *cli, on bool) (uint64, error) { return x.c.MuteAll(x.ctx, x.pos[0], on) },
			"muted {1}: only the owner and admins may post (seq {seq})", "unmuted {1}: everyone may post (seq {seq})")},
	{name: "transfer", args: "GROUP USER", min: 2, max: 2, help: "make USER the owner (owner)",
		run: seq(func(x *cli) (uint64, error) { return x.c.TransferOwner(x.ctx, x.pos[0], x.pos[1]) }, "{2} now owns {1} (seq {seq})")},
	{name: "dissolve", args: "GROUP", min: 1, max: 1, help: "close the group for good (owner)",
		run: seq(func(x *cli) (uint64, error) { return x.c.Dissolve(x.ctx, x.pos[0]) }, "dissolved {1} (seq {seq})")},
}

// update builds the arguments of "update" from the flags given.
func update(x *cli) (uint64, error) {
	o := x.o
	a := wire.UpdateGroupArgs{Group: x.pos[0]}
	str := func(flag string, v string) *string {
		if o.set(flag) {
			return &v
		}
		return nil
	}
	a.Profile.Name = str("name", o.name)
	a.Profile.Avatar = str("avatar", o.avatar)
	a.Profile.Description = str("desc", o.desc)
	a.Profile.Category = str("category", o.category)
	switch lat, lng := o.set("lat"), o.set("lng"); {
	case lat && lng:
		a.Profile.Location = &wire.GeoArgs{Lat: o.lat, Lng: o.lng, City: o.city}
	case lat || lng:
		return 0, usagef("update: --lat and --lng go together")
	case o.set("city"):
		return 0, usagef("update: --city needs --lat and --lng")
	}
	if o.set("searchable") {
		a.Profile.Searchable = &o.searchable
	}
	if o.set("members-invite") {
		a.MembersInvite = &o.membersInvite
	}
	if o.set("policy") {
		p, err := parsePolicy(o.policy)
		if err != nil {
			return 0, err
		}
		a.Join = &p
	}
	return x.c.UpdateGroup(x.ctx, a)
}

// role is the admin (or unadmin) command.
func role(r wire.Role) func(*cli) error {
	return seq(func(x *cli) (uint64, error) { return x.c.SetRole(x.ctx, x.pos[0], x.pos[1], r) },
		"{2} is now "+article(r)+" of {1} (seq {seq})")
}

func article(r wire.Role) string {
	if r == wire.RoleOwner {
		return "the owner"
	}
	if r == wire.RoleAdmin {
		return "an admin"
	}
	return "a member"
}

func cmdMute(x *cli) error {
	d, err := time.ParseDuration(x.pos[2])
	if err != nil || d < 0 {
		return usagef("mute: bad duration %q: use e.g. 30s, 10m, 2h, or 0 to unmute", x.pos[2])
	}
	s, err := x.c.Mute(x.ctx, x.pos[0], x.pos[1], d)
	if err != nil {
		return err
	}
	if d == 0 {
		x.say("unmuted {2} in {1} (seq {seq})", s)
	} else {
		x.say("muted {2} in {1} for "+d.String()+" (seq {seq})", s)
	}
	return nil
}
