package client

import (
	"context"

	"github.com/qunchat/qun/wire"
)

// Typed operations on a group's content: messages, history, members,
// the group's description, announcements, pins and stats.
// Each is one Call; docs/protocol.md says who may call what and which
// errors to expect. Operations that write a system event return its seq.

// SendText posts a text message. cmid makes retries idempotent; the result
// arrives once the message is durable.
func (c *Client) SendText(ctx context.Context, group, cmid, text string) (wire.SendResult, error) {
	var r wire.SendResult
	err := c.Call(ctx, wire.OpSend, &wire.SendArgs{Group: group, CMID: cmid, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: text}}}, &r)
	return r, err
}

// History reads one page of a group's history.
func (c *Client) History(ctx context.Context, a wire.HistoryArgs) (wire.HistoryResult, error) {
	var r wire.HistoryResult
	err := c.Call(ctx, wire.OpHistory, &a, &r)
	return r, err
}

// Resync asks for everything after the given seq per group. Missed messages
// arrive through OnPush (and OnGap past the server's bound) before it returns.
func (c *Client) Resync(ctx context.Context, last map[string]uint64) (wire.ResyncResult, error) {
	var r wire.ResyncResult
	err := c.Call(ctx, wire.OpResync, &wire.ResyncArgs{Groups: last}, &r)
	return r, err
}

// Members reads one page of the member list.
func (c *Client) Members(ctx context.Context, a wire.MembersArgs) (wire.MembersResult, error) {
	var r wire.MembersResult
	err := c.Call(ctx, wire.OpMembers, &a, &r)
	return r, err
}

// GroupInfo describes a group.
func (c *Client) GroupInfo(ctx context.Context, group string) (wire.GroupInfo, error) {
	var r wire.GroupInfo
	err := c.Call(ctx, wire.OpGroupInfo, &wire.GroupArgs{Group: group}, &r)
	return r, err
}

// GroupStats returns a group's member and activity figures.
func (c *Client) GroupStats(ctx context.Context, group string) (wire.GroupStats, error) {
	var r wire.GroupStats
	err := c.Call(ctx, wire.OpGroupStats, &wire.GroupArgs{Group: group}, &r)
	return r, err
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
