package client

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Typed operations of group rules: roles, join rules, invite codes,
// moderation, announcements, pins, discovery and stats. Each is one Call;
// docs/protocol.md says who may call what and which errors to expect.
// Operations that write a system event return its seq.

// seqCall runs an op whose result is a SeqResult.
func (c *Client) seqCall(ctx context.Context, op wire.Op, args any) (uint64, error) {
	var r wire.SeqResult
	err := c.Call(ctx, op, args, &r)
	return r.Seq, err
}

// millis converts d to whole milliseconds, rounding a positive duration of
// less than 1 ms up so that it does not read as 0.
func millis(d time.Duration) int64 {
	ms := d.Milliseconds()
	if ms == 0 && d > 0 {
		ms = 1
	}
	return ms
}

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

// Apply asks to join a group: an open group is joined at once
// (Joined true), an approval group queues the request for review.
func (c *Client) Apply(ctx context.Context, group, note string) (wire.ApplyResult, error) {
	var r wire.ApplyResult
	err := c.Call(ctx, wire.OpApply, &wire.ApplyArgs{Group: group, Note: note}, &r)
	return r, err
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

// JoinCode joins the group an invite code belongs to, whatever its join
// policy.
func (c *Client) JoinCode(ctx context.Context, code string) (wire.JoinResult, error) {
	var r wire.JoinResult
	err := c.Call(ctx, wire.OpJoin, &wire.JoinArgs{Code: code}, &r)
	return r, err
}

// Invite adds the caller's mutual-follow friends to a group directly, all or
// none. It returns the seq of the last "invited" event.
func (c *Client) Invite(ctx context.Context, group string, users ...string) (uint64, error) {
	return c.seqCall(ctx, wire.OpInvite, &wire.InviteArgs{Group: group, Users: users})
}

// Announce publishes the group's announcement (owner and admins).
func (c *Client) Announce(ctx context.Context, group, text string) (uint64, error) {
	return c.seqCall(ctx, wire.OpAnnounce, &wire.AnnounceArgs{Group: group, Text: text})
}

// AckAnnouncement acknowledges the group's current announcement.
func (c *Client) AckAnnouncement(ctx context.Context, group string) error {
	return c.Call(ctx, wire.OpAckAnnounce, &wire.GroupArgs{Group: group}, nil)
}

// AnnouncementState returns the current announcement and who has not
// acknowledged it (owner and admins).
func (c *Client) AnnouncementState(ctx context.Context, group string) (wire.AnnounceStateResult, error) {
	var r wire.AnnounceStateResult
	err := c.Call(ctx, wire.OpAnnounceState, &wire.GroupArgs{Group: group}, &r)
	return r, err
}

// Pin pins message seq of the group (owner and admins).
func (c *Client) Pin(ctx context.Context, group string, seq uint64) (uint64, error) {
	return c.seqCall(ctx, wire.OpPin, &wire.PinArgs{Group: group, Seq: seq})
}

// Unpin unpins message seq of the group (owner and admins).
func (c *Client) Unpin(ctx context.Context, group string, seq uint64) (uint64, error) {
	return c.seqCall(ctx, wire.OpPin, &wire.PinArgs{Group: group, Seq: seq, Unpin: true})
}

// PinGroup pins a group to the top of the caller's own list (MyGroups), or
// unpins it.
func (c *Client) PinGroup(ctx context.Context, group string, on bool) error {
	return c.Call(ctx, wire.OpPinGroup, &wire.PinGroupArgs{Group: group, On: on}, nil)
}

// Search finds searchable groups by name substring and/or category.
func (c *Client) Search(ctx context.Context, a wire.SearchArgs) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpSearch, &a, &r)
	return r.Groups, err
}

// Nearby finds searchable groups within a.RadiusKm of a point, nearest first.
func (c *Client) Nearby(ctx context.Context, a wire.NearbyArgs) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpNearby, &a, &r)
	return r.Groups, err
}

// ProfileGroups lists the groups user shows on their profile.
func (c *Client) ProfileGroups(ctx context.Context, user string) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpProfileGroups, &wire.UserArgs{User: user}, &r)
	return r.Groups, err
}

// ShowOnProfile shows one of the caller's groups on their profile, or hides it.
func (c *Client) ShowOnProfile(ctx context.Context, group string, show bool) error {
	return c.Call(ctx, wire.OpShowOnProfile, &wire.ShowOnProfileArgs{Group: group, Show: show}, nil)
}

// GroupStats returns a group's member and activity figures.
func (c *Client) GroupStats(ctx context.Context, group string) (wire.GroupStats, error) {
	var r wire.GroupStats
	err := c.Call(ctx, wire.OpGroupStats, &wire.GroupArgs{Group: group}, &r)
	return r, err
}
