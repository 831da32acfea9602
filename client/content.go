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
	return call[wire.SendResult](ctx, c, wire.OpSend, &wire.SendArgs{Group: group, CMID: cmid, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: text}}})
}

// History reads one page of a group's history.
func (c *Client) History(ctx context.Context, a wire.HistoryArgs) (wire.HistoryResult, error) {
	return call[wire.HistoryResult](ctx, c, wire.OpHistory, &a)
}

// ResyncBatch is how many groups Resync names per request: a resync reply
// must fit max_frame, which bounds the groups of one request (511 at the
// server's defaults, docs/protocol.md).
const ResyncBatch = 256

// Resync asks for everything after the given seq per group, in requests of
// at most ResyncBatch groups. Missed messages arrive through OnPush (and
// OnGap past the server's bound) before it returns.
func (c *Client) Resync(ctx context.Context, last map[string]uint64) (wire.ResyncResult, error) {
	if len(last) <= ResyncBatch {
		return call[wire.ResyncResult](ctx, c, wire.OpResync, &wire.ResyncArgs{Groups: last})
	}
	var all wire.ResyncResult
	batch := map[string]uint64{}
	flush := func() error {
		r, err := call[wire.ResyncResult](ctx, c, wire.OpResync, &wire.ResyncArgs{Groups: batch})
		all.Groups = append(all.Groups, r.Groups...)
		batch = map[string]uint64{}
		return err
	}
	for g, seq := range last {
		batch[g] = seq
		if len(batch) == ResyncBatch {
			if err := flush(); err != nil {
				return all, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return all, err
		}
	}
	return all, nil
}

// Members reads one page of the member list.
func (c *Client) Members(ctx context.Context, a wire.MembersArgs) (wire.MembersResult, error) {
	return call[wire.MembersResult](ctx, c, wire.OpMembers, &a)
}

// GroupInfo describes a group.
func (c *Client) GroupInfo(ctx context.Context, group string) (wire.GroupInfo, error) {
	return call[wire.GroupInfo](ctx, c, wire.OpGroupInfo, &wire.GroupArgs{Group: group})
}

// GroupStats returns a group's member and activity figures.
func (c *Client) GroupStats(ctx context.Context, group string) (wire.GroupStats, error) {
	return call[wire.GroupStats](ctx, c, wire.OpGroupStats, &wire.GroupArgs{Group: group})
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
	return call[wire.AnnounceStateResult](ctx, c, wire.OpAnnounceState, &wire.GroupArgs{Group: group})
}

// Pin pins message seq of the group (owner and admins).
func (c *Client) Pin(ctx context.Context, group string, seq uint64) (uint64, error) {
	return c.seqCall(ctx, wire.OpPin, &wire.PinArgs{Group: group, Seq: seq})
}

// Unpin unpins message seq of the group (owner and admins).
func (c *Client) Unpin(ctx context.Context, group string, seq uint64) (uint64, error) {
	return c.seqCall(ctx, wire.OpPin, &wire.PinArgs{Group: group, Seq: seq, Unpin: true})
}
