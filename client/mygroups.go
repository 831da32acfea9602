package client

import (
	"context"

	"github.com/qunchat/qun/wire"
)

// Typed operations on the caller's own list of groups.
// Each is one Call; docs/protocol.md says who may call what and which
// errors to expect. Operations that write a system event return its seq.

// MyGroups lists the caller's groups with unread counts.
func (c *Client) MyGroups(ctx context.Context) ([]wire.MyGroup, error) {
	var r wire.MyGroupsResult
	err := c.Call(ctx, wire.OpMyGroups, &wire.Empty{}, &r)
	return r.Groups, err
}

// MarkRead moves the caller's read position.
func (c *Client) MarkRead(ctx context.Context, group string, seq uint64) error {
	return c.Call(ctx, wire.OpMarkRead, &wire.MarkReadArgs{Group: group, Seq: seq}, nil)
}

// PinGroup pins a group to the top of the caller's own list (MyGroups), or
// unpins it.
func (c *Client) PinGroup(ctx context.Context, group string, on bool) error {
	return c.Call(ctx, wire.OpPinGroup, &wire.PinGroupArgs{Group: group, On: on}, nil)
}
