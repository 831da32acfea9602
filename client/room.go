package client

import (
	"context"

	"github.com/qunchat/qun/wire"
)

// Live rooms: open, watch, send with a lane, configure, close. A watching
// connection receives the room's merged pushes in Options.OnRoomPush.

// OpenRoom opens the room of a live stream, owned by the caller; window is
// the merge window in ms (nil = the server's default, 0 = off).
func (c *Client) OpenRoom(ctx context.Context, stream, name string, window *int) (wire.OpenRoomResult, error) {
	var res wire.OpenRoomResult
	err := c.Call(ctx, wire.OpOpenRoom, wire.OpenRoomArgs{Stream: stream, Name: name, WindowMS: window}, &res)
	return res, err
}

// CloseRoom ends the stream (owner or admins); history stays readable.
func (c *Client) CloseRoom(ctx context.Context, room string) (uint64, error) {
	return c.seqCall(ctx, wire.OpCloseRoom, wire.GroupArgs{Group: room})
}

// WatchRoom starts watching a room on this connection; with after set, what
// was missed since that seq is pushed first.
func (c *Client) WatchRoom(ctx context.Context, room string, after *uint64) (wire.RoomInfo, error) {
	var res wire.RoomInfo
	err := c.Call(ctx, wire.OpWatchRoom, wire.WatchRoomArgs{Room: room, After: after}, &res)
	return res, err
}

// LeaveRoom stops watching a room.
func (c *Client) LeaveRoom(ctx context.Context, room string) error {
	return c.Call(ctx, wire.OpLeaveRoom, wire.GroupArgs{Group: room}, nil)
}

// RoomSend posts a text message in a lane.
func (c *Client) RoomSend(ctx context.Context, room, cmid, text string, lane wire.Lane) (wire.SendResult, error) {
	var res wire.SendResult
	err := c.Call(ctx, wire.OpRoomSend, wire.RoomSendArgs{Group: room, CMID: cmid, Type: wire.MsgText,
		Body: wire.Body{Text: &wire.TextBody{Text: text}}, Lane: lane}, &res)
	return res, err
}

// RoomConfig changes a room's merge window or slow mode (nil = unchanged).
func (c *Client) RoomConfig(ctx context.Context, room string, windowMS, slowModeS *int) (uint64, error) {
	return c.seqCall(ctx, wire.OpRoomConfig, wire.RoomConfigArgs{Group: room, WindowMS: windowMS, SlowModeS: slowModeS})
}

func (c *Client) roomPush(body []byte) error {
	if c.opts.OnRoomPush == nil {
		return nil
	}
	var p wire.RoomPush
	if err := wire.Decode(body, &p); err != nil {
		return err
	}
	c.opts.OnRoomPush(&p)
	return nil
}
