package client

import (
	"context"

	"github.com/qunchat/qun/wire"
)

// Fan groups and creator tools: fan groups and their thresholds, a
// creator's homepage, creator notices, strong announcements, rich messages,
// mentions, recall, the diversion policy and share cards
// (docs/protocol.md, "Fan groups and creator tools").

// CreateFanGroup creates a fan group owned by the caller (a creator).
func (c *Client) CreateFanGroup(ctx context.Context, a wire.CreateFanGroupArgs) (wire.CreateGroupResult, error) {
	return call[wire.CreateGroupResult](ctx, c, wire.OpCreateFanGroup, &a)
}

// SetFanGroup changes a fan group's threshold or homepage order (owner).
func (c *Client) SetFanGroup(ctx context.Context, a wire.SetFanGroupArgs) (uint64, error) {
	return c.seqCall(ctx, wire.OpSetFanGroup, &a)
}

// FanGroups lists a creator's fan groups as their homepage shows them to
// the caller: in the creator's order, with whether the caller may join.
func (c *Client) FanGroups(ctx context.Context, creator string) (wire.FanGroupsResult, error) {
	return call[wire.FanGroupsResult](ctx, c, wire.OpFanGroups, &wire.FanGroupsArgs{Creator: creator})
}

// NotifyCreator posts a live, preview or video notice to every fan group
// of the caller, idempotent on a.ID.
func (c *Client) NotifyCreator(ctx context.Context, a wire.CreatorNoticeArgs) (wire.CreatorNoticeResult, error) {
	return call[wire.CreatorNoticeResult](ctx, c, wire.OpNotifyCreator, &a)
}

// AnnounceStrong publishes a strong-notification announcement (owner and
// admins): members must acknowledge it (AckAnnouncement).
func (c *Client) AnnounceStrong(ctx context.Context, group, text string) (uint64, error) {
	return c.seqCall(ctx, wire.OpAnnounceStrong, &wire.AnnounceArgs{Group: group, Text: text})
}

// Send posts a message of any client type (text with mentions, or a rich
// body); cmid makes retries idempotent.
func (c *Client) Send(ctx context.Context, group, cmid string, t wire.MsgType, body wire.Body) (wire.SendResult, error) {
	return call[wire.SendResult](ctx, c, wire.OpSend, &wire.SendArgs{Group: group, CMID: cmid, Type: t, Body: body})
}

// Recall recalls a message: the caller's own within the recall window, or
// any as owner or admin. It returns the seq of the recall event.
func (c *Client) Recall(ctx context.Context, group string, seq uint64) (uint64, error) {
	return c.seqCall(ctx, wire.OpRecall, &wire.RecallArgs{Group: group, Seq: seq})
}

// SetDivert sets the group's contact-diversion policy (owner and admins).
func (c *Client) SetDivert(ctx context.Context, group string, p wire.DivertPolicy) (uint64, error) {
	return c.seqCall(ctx, wire.OpSetDivert, &wire.SetDivertArgs{Group: group, Policy: p})
}

// ShareCard makes an invite code with deep-link texts and the group's
// public card, for groups the host reviewed.
func (c *Client) ShareCard(ctx context.Context, group string) (wire.ShareCard, error) {
	return call[wire.ShareCard](ctx, c, wire.OpShareCard, &wire.GroupArgs{Group: group})
}

// SetHostFacts seeds a standalone server's in-memory host with follow
// edges and fan-club levels (the server's admins only).
func (c *Client) SetHostFacts(ctx context.Context, a wire.HostFactsArgs) error {
	return c.Call(ctx, wire.OpSetHostFacts, &a, nil)
}
