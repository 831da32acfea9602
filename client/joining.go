package client

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Typed operations of joining: creating a group, joining and leaving it,
// join requests and their review, invite codes and direct invites.
// Each is one Call; docs/protocol.md says who may call what and which
// errors to expect. Operations that write a system event return its seq.

// CreateGroup creates a group owned by the caller and returns its id.
func (c *Client) CreateGroup(ctx context.Context, name string) (string, error) {
	var r wire.CreateGroupResult
	err := c.Call(ctx, wire.OpCreateGroup, &wire.CreateGroupArgs{Name: name}, &r)
	return r.Group, err
}

// Join joins an open group. See JoinCode for invite codes.
func (c *Client) Join(ctx context.Context, group string) (wire.JoinResult, error) {
	return call[wire.JoinResult](ctx, c, wire.OpJoin, &wire.JoinArgs{Group: group})
}

// JoinCode joins the group an invite code belongs to, whatever its join
// policy.
func (c *Client) JoinCode(ctx context.Context, code string) (wire.JoinResult, error) {
	return call[wire.JoinResult](ctx, c, wire.OpJoin, &wire.JoinArgs{Code: code})
}

// Leave leaves a group.
func (c *Client) Leave(ctx context.Context, group string) error {
	return c.Call(ctx, wire.OpLeave, &wire.GroupArgs{Group: group}, nil)
}

// Apply asks to join a group: an open group is joined at once
// (Joined true), an approval group queues the request for review.
func (c *Client) Apply(ctx context.Context, group, note string) (wire.ApplyResult, error) {
	return call[wire.ApplyResult](ctx, c, wire.OpApply, &wire.ApplyArgs{Group: group, Note: note})
}

// Review approves or rejects user's pending join request (owner and
// admins). An approval returns the seq of the join event, a rejection 0.
func (c *Client) Review(ctx context.Context, group, user string, approve bool) (uint64, error) {
	return c.seqCall(ctx, wire.OpReview, &wire.ReviewArgs{Group: group, User: user, Approve: approve})
}

// ListRequests lists pending join requests, oldest first (owner and admins).
func (c *Client) ListRequests(ctx context.Context, group string) ([]wire.JoinRequest, error) {
	var r wire.RequestsResult
	err := c.Call(ctx, wire.OpListRequests, &wire.GroupArgs{Group: group}, &r)
	return r.Requests, err
}

// CreateInvite makes an invite code valid for ttl (0 = the server's
// default) and maxUses joins (0 = unlimited).
func (c *Client) CreateInvite(ctx context.Context, group string, ttl time.Duration, maxUses int) (wire.Invite, error) {
	var r wire.InviteResult
	err := c.Call(ctx, wire.OpCreateInvite, &wire.CreateInviteArgs{Group: group, TTL: millis(ttl), MaxUses: maxUses}, &r)
	return r.Invite, err
}

// RevokeInvite ends an invite code at once.
func (c *Client) RevokeInvite(ctx context.Context, group, code string) error {
	return c.Call(ctx, wire.OpRevokeInvite, &wire.RevokeInviteArgs{Group: group, Code: code}, nil)
}

// ListInvites lists live invite codes: all of them for the owner and
// admins, the caller's own for other members.
func (c *Client) ListInvites(ctx context.Context, group string) ([]wire.Invite, error) {
	var r wire.InvitesResult
	err := c.Call(ctx, wire.OpListInvites, &wire.GroupArgs{Group: group}, &r)
	return r.Invites, err
}

// Invite adds the caller's mutual-follow friends to a group directly, all or
// none. It returns the seq of the last "invited" event.
func (c *Client) Invite(ctx context.Context, group string, users ...string) (uint64, error) {
	return c.seqCall(ctx, wire.OpInvite, &wire.InviteArgs{Group: group, Users: users})
}
