package actors

import (
	"testing"

	"github.com/qunchat/qun/wire"
)

// TestJoinResultsCarryGroupName: every way of becoming a member hands the
// engine the group's name, so it needs no second call to list the group.
func TestJoinResultsCarryGroupName(t *testing.T) {
	m := machine(t, "bob")
	e := m.Handle(Command{Now: 2000, User: "carol", Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1"})})
	if e.Err != nil || e.GroupName != "g" {
		t.Fatalf("join: name %q, err %v", e.GroupName, e.Err)
	}
	e = m.Handle(Command{Now: 2001, User: "dave", Op: wire.OpApply, Args: args(t, wire.ApplyArgs{Group: "g1"})})
	if e.Err != nil || e.GroupName != "g" {
		t.Fatalf("apply to an open group: name %q, err %v", e.GroupName, e.Err)
	}
	join := wire.JoinApproval
	if e := m.Handle(Command{Now: 2002, User: "owner", Op: wire.OpUpdateGroup, Args: args(t, wire.UpdateGroupArgs{Group: "g1", Join: &join})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	e = m.Handle(Command{Now: 2003, User: "erin", Op: wire.OpApply, Args: args(t, wire.ApplyArgs{Group: "g1"})})
	if e.Err != nil || e.GroupName != "" {
		t.Fatalf("queued request: name %q, err %v", e.GroupName, e.Err)
	}
	e = m.Handle(Command{Now: 2004, User: "owner", Op: wire.OpReview, Args: args(t, wire.ReviewArgs{Group: "g1", User: "erin", Approve: true})})
	if e.Err != nil || e.GroupName != "g" || len(e.Records) != 1 {
		t.Fatalf("approval: name %q, records %d, err %v", e.GroupName, len(e.Records), e.Err)
	}
	e = m.Handle(Command{Now: 2005, User: "bob", Op: wire.OpSend, Args: args(t, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("x")})})
	if e.Err != nil || e.GroupName != "" {
		t.Fatalf("send: name %q, err %v", e.GroupName, e.Err)
	}
}
