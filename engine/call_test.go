package engine_test

import (
	"context"
	"testing"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// TestCallInProcess: Engine.Call routes from the same table as a client's
// request, and its errors are the ones a client sees.
func TestCallInProcess(t *testing.T) {
	e, err := engine.New(testConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := e.Call(ctx, "alice", wire.OpMyGroups, nil); err != engine.ErrNotStarted {
		t.Fatalf("before Start: %v, want ErrNotStarted", err)
	}
	_ = e.Close()
	e = startEngine(t, testConfig(""))
	call := func(user string, op wire.Op, args, res any) error {
		t.Helper()
		var b []byte
		if args != nil {
			b, err = wire.Marshal(args)
			if err != nil {
				t.Fatal(err)
			}
		}
		body, err := e.Call(ctx, user, op, b)
		if err == nil && res != nil {
			err = wire.Decode(body, res)
		}
		return err
	}
	var cg wire.CreateGroupResult
	if err := call("alice", wire.OpCreateGroup, wire.CreateGroupArgs{Name: "in process"}, &cg); err != nil {
		t.Fatal(err)
	}
	if err := call("bob", wire.OpJoin, wire.JoinArgs{Group: cg.Group}, nil); err != nil {
		t.Fatal(err)
	}
	var sr wire.SendResult
	if err := call("bob", wire.OpSend, wire.SendArgs{Group: cg.Group, CMID: "1", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "hi"}}}, &sr); err != nil || sr.Seq != 3 {
		t.Fatalf("send: %+v %v, want seq 3", sr, err)
	}
	var mg wire.MyGroupsResult
	if err := call("bob", wire.OpMyGroups, nil, &mg); err != nil || len(mg.Groups) != 1 || mg.Groups[0].Name != "in process" || mg.Groups[0].LastSeq != 3 {
		t.Fatalf("my groups: %+v %v", mg, err)
	}
	if err := call("eve", wire.OpSend, wire.SendArgs{Group: cg.Group, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "x"}}}, nil); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("non-member send: %v, want not_member", err)
	}
	if err := call("bob", wire.Op(999), nil, nil); wire.CodeOf(err) != wire.CodeUnknownOp {
		t.Fatalf("unknown op: %v", err)
	}
	if err := call("", wire.OpMyGroups, nil, nil); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("empty user: %v", err)
	}
	_ = e.Close()
	if _, err := e.Call(context.Background(), "bob", wire.OpMyGroups, nil); err != engine.ErrClosed {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}
