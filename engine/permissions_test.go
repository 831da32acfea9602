package engine_test

import (
	"testing"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// TestPermissionChangesHoldFromNextRequest: roles and mutes are checked by
// the group on every request, never cached in a connection, so a change made
// while the affected user is connected holds from their very next request on
// the same connection (docs/permissions.md, "Role changes take effect at
// once").
func TestPermissionChangesHoldFromNextRequest(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	owner := dial(t, e, "owner", nil)
	adm := dial(t, e, "adm", nil)
	mem := dial(t, e, "mem", nil)
	victim := dial(t, e, "victim", nil)

	g, err := owner.CreateGroup(ctx, "perm")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{adm, mem, victim} {
		if _, err := c.Join(ctx, g); err != nil {
			t.Fatal(err)
		}
	}

	// check compares a request's outcome with the code wanted (0 = success).
	check := func(who string, err error, want wire.Code) {
		t.Helper()
		var got wire.Code
		if err != nil {
			got = wire.CodeOf(err)
		}
		if got != want {
			t.Fatalf("%s: got %v (%v), want %v", who, got, err, want)
		}
	}
	role := func(user string, r wire.Role) {
		t.Helper()
		var res wire.SeqResult
		check("owner set_role "+user+" "+r.String(),
			owner.Call(ctx, wire.OpSetRole, wire.TargetArgs{Group: g, User: user, Role: r}, &res), 0)
	}
	mute := func(d int64) wire.TargetArgs { return wire.TargetArgs{Group: g, User: "victim", Duration: d} }

	// Promoted while connected: the admin's next request is an admin's.
	check("adm mutes before promotion", adm.Call(ctx, wire.OpMute, mute(60_000), nil), wire.CodeForbidden)
	role("adm", wire.RoleAdmin)
	check("adm mutes as admin", adm.Call(ctx, wire.OpMute, mute(60_000), nil), 0)

	// Demoted while connected: the very next kick or mute is refused.
	role("adm", wire.RoleMember)
	check("adm kicks after demotion", adm.Call(ctx, wire.OpKick, wire.TargetArgs{Group: g, User: "victim"}, nil), wire.CodeForbidden)
	check("adm unmutes after demotion", adm.Call(ctx, wire.OpMute, mute(0), nil), wire.CodeForbidden)
	var info wire.GroupInfo
	check("adm group_info", adm.Call(ctx, wire.OpGroupInfo, wire.GroupArgs{Group: g}, &info), 0)
	if info.YourRole == nil || *info.YourRole != wire.RoleMember {
		t.Fatalf("demoted admin sees role %v", info.YourRole)
	}

	// Promoted again: works again, on the same connection.
	role("adm", wire.RoleAdmin)
	check("adm unmutes after promotion", adm.Call(ctx, wire.OpMute, mute(0), nil), 0)

	// A member muted while connected gets `muted` on the next send.
	_, err = mem.SendText(ctx, g, "m1", "before")
	check("mem sends", err, 0)
	check("adm mutes mem", adm.Call(ctx, wire.OpMute, wire.TargetArgs{Group: g, User: "mem", Duration: 60_000}, nil), 0)
	_, err = mem.SendText(ctx, g, "m2", "while muted")
	check("mem sends while muted", err, wire.CodeMuted)
	check("adm unmutes mem", adm.Call(ctx, wire.OpMute, wire.TargetArgs{Group: g, User: "mem"}, nil), 0)
	_, err = mem.SendText(ctx, g, "m3", "after")
	check("mem sends after unmute", err, 0)

	// Kicked by the re-promoted admin: the victim's next send is refused.
	check("adm kicks victim", adm.Call(ctx, wire.OpKick, wire.TargetArgs{Group: g, User: "victim"}, nil), 0)
	_, err = victim.SendText(ctx, g, "v1", "still here?")
	check("victim sends after kick", err, wire.CodeNotMember)

	for name, c := range map[string]*client.Client{"adm": adm, "mem": mem, "victim": victim} {
		if err := c.Err(); err != nil {
			t.Fatalf("%s's connection closed: %v", name, err)
		}
	}
}
