package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/wire"
)

// Joining: creating, joining and leaving groups; join requests, invite
// codes and direct invites.

var joinCommands = []command{
	{name: "create", args: "NAME", min: 1, max: -1, help: "create a group; prints its id",
		run: call(func(x *cli) (string, error) { return x.c.CreateGroup(x.ctx, x.rest(0)) }, func(x *cli, id string) { x.printf("%s\n", id) })},
	{name: "join", args: "GROUP | join --code CODE", min: 0, max: 1, help: "join an open group, or any group with an invite code", run: cmdJoin},
	{name: "leave", args: "GROUP", min: 1, max: 1, help: "leave a group",
		run: act(func(x *cli) error { return x.c.Leave(x.ctx, x.pos[0]) }, "left {1}")},
}

var requestCommands = []command{
	{name: "apply", args: "GROUP [NOTE...]", min: 1, max: -1, help: "ask to join an approval group (joins an open one at once)",
		run: call(func(x *cli) (wire.ApplyResult, error) { return x.c.Apply(x.ctx, x.pos[0], x.rest(1)) }, printApply)},
	{name: "requests", args: "GROUP", min: 1, max: 1, help: "pending join requests (owner, admins)",
		run: call(func(x *cli) ([]wire.JoinRequest, error) { return x.c.ListRequests(x.ctx, x.pos[0]) }, printRequests)},
	{name: "approve", args: "GROUP USER", min: 2, max: 2, help: "approve a join request",
		run: seq(func(x *cli) (uint64, error) { return x.c.Review(x.ctx, x.pos[0], x.pos[1], true) }, "approved {2}: joined {1} (seq {seq})")},
	{name: "reject", args: "GROUP USER", min: 2, max: 2, help: "reject a join request",
		run: seq(func(x *cli) (uint64, error) { return x.c.Review(x.ctx, x.pos[0], x.pos[1], false) }, "rejected {2}")},
	{name: "invite", args: "GROUP USER...", min: 2, max: -1, help: "add mutual-follow friends to the group",
		run: seq(func(x *cli) (uint64, error) { return x.c.Invite(x.ctx, x.pos[0], x.pos[1:]...) }, "invited {rest} to {1} (seq {seq})")},
	{name: "code", args: "GROUP [--ttl D] [--uses N]", min: 1, max: 1, help: "make an invite code; prints the code alone", run: cmdCode},
	{name: "codes", args: "GROUP", min: 1, max: 1, help: "live invite codes",
		run: call(func(x *cli) ([]wire.Invite, error) { return x.c.ListInvites(x.ctx, x.pos[0]) }, printInvites)},
	{name: "revoke", args: "GROUP CODE", min: 2, max: 2, help: "revoke an invite code",
		run: act(func(x *cli) error { return x.c.RevokeInvite(x.ctx, x.pos[0], x.pos[1]) }, "revoked {2}")},
}

func cmdJoin(x *cli) error {
	switch {
	case x.o.code != "":
		group, _ := codeGroup(x.o.code)
		var r wire.JoinResult
		args := &wire.JoinArgs{Code: x.o.code}
		if len(x.pos) == 1 { // qun join GROUP --code CODE: the code must be GROUP's
			args.Group, group = x.pos[0], x.pos[0]
		}
		if err := x.c.Call(x.ctx, wire.OpJoin, args, &r); err != nil {
			return err
		}
		x.printf("joined %s (%s) with an invite code\n", group, r.Name)
	case len(x.pos) == 1:
		r, err := x.c.Join(x.ctx, x.pos[0])
		if err != nil {
			return err
		}
		x.printf("joined %s (%s)\n", x.pos[0], r.Name)
	default:
		return usagef("usage: qun join GROUP | qun join --code CODE")
	}
	return nil
}

// codeGroup is the group an invite code names: everything before its last "-".
func codeGroup(code string) (string, bool) {
	i := strings.LastIndexByte(code, '-')
	if i <= 0 {
		return "", false
	}
	return code[:i], true
}

func printApply(x *cli, r wire.ApplyResult) {
	if r.Joined {
		x.printf("joined %s (seq %d)\n", x.pos[0], r.Seq)
	} else {
		x.printf("asked to join %s; the owner and admins will review it (the request expires %s)\n", x.pos[0], fmtTime(r.Expires))
	}
}

func printRequests(x *cli, rs []wire.JoinRequest) {
	for _, r := range rs {
		note := ""
		if r.Note != "" {
			note = ": " + oneLine(r.Note)
		}
		x.printf("%s applied %s%s\n", r.User, fmtTime(r.At), note)
	}
}

func cmdCode(x *cli) error {
	var ttl time.Duration // 0: the server's default
	if x.o.set("ttl") {
		if ttl = x.o.ttl; ttl <= 0 {
			return usagef("code: --ttl must be positive")
		}
	}
	if x.o.uses < 0 {
		return usagef("code: --uses must not be negative")
	}
	inv, err := x.c.CreateInvite(x.ctx, x.pos[0], ttl, x.o.uses)
	if err != nil {
		return err
	}
	x.printf("%s\n", inv.Code)
	return nil
}

func printInvites(x *cli, invs []wire.Invite) {
	for _, inv := range invs {
		max := "unlimited"
		if inv.MaxUses > 0 {
			max = strconv.Itoa(inv.MaxUses)
		}
		x.printf("%s uses=%d/%s expires=%s creator=%s\n", inv.Code, inv.Uses, max, fmtTime(inv.Expires), inv.Creator)
	}
}
