package client

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Typed operations of running a group (owner and admins): its profile and
// rules, roles, kick, ban, mute, ownership and dissolution.
// Each is one Call; docs/protocol.md says who may call what and which
// errors to expect. Operations that write a system event return its seq.

// UpdateGroup changes a group's profile and settings (owner and admins).
// Nil fields of a are left unchanged.
func (c *Client) UpdateGroup(ctx context.Context, a wire.UpdateGroupArgs) (uint64, error) {
	return c.seqCall(ctx, wire.OpUpdateGroup, &a)
}

// SetRole makes a member an admin (wire.RoleAdmin) or an admin a plain
// member (wire.RoleMember). Owner only.
func (c *Client) SetRole(ctx context.Context, group, user string, role wire.Role) (uint64, error) {
	return c.seqCall(ctx, wire.OpSetRole, &wire.TargetArgs{Group: group, User: user, Role: role})
}

// Kick removes a member below the caller's role.
func (c *Client) Kick(ctx context.Context, group, user string) (uint64, error) {
	return c.seqCall(ctx, wire.OpKick, &wire.TargetArgs{Group: group, User: user})
}

// Ban removes user (if a member) and keeps them out until Unban.
func (c *Client) Ban(ctx context.Context, group, user string) (uint64, error) {
	return c.seqCall(ctx, wire.OpBan, &wire.TargetArgs{Group: group, User: user})
}

// Unban lifts a ban; the user is not added back.
func (c *Client) Unban(ctx context.Context, group, user string) (uint64, error) {
	return c.seqCall(ctx, wire.OpUnban, &wire.TargetArgs{Group: group, User: user})
}

// Mute mutes a member for d (at most 30 days); d = 0 unmutes.
func (c *Client) Mute(ctx context.Context, group, user string, d time.Duration) (uint64, error) {
	return c.seqCall(ctx, wire.OpMute, &wire.TargetArgs{Group: group, User: user, Duration: millis(d)})
}

// MuteAll turns group-wide mute on (only the owner and admins may post) or off.
func (c *Client) MuteAll(ctx context.Context, group string, on bool) (uint64, error) {
	return c.seqCall(ctx, wire.OpMuteAll, &wire.MuteAllArgs{Group: group, On: on})
}

// TransferOwner hands the group to another member. Owner only; the caller
// becomes a plain member.
func (c *Client) TransferOwner(ctx context.Context, group, user string) (uint64, error) {
	return c.seqCall(ctx, wire.OpTransferOwner, &wire.TargetArgs{Group: group, User: user})
}

// Dissolve closes the group for good. Owner only.
func (c *Client) Dissolve(ctx context.Context, group string) (uint64, error) {
	return c.seqCall(ctx, wire.OpDissolve, &wire.GroupArgs{Group: group})
}
