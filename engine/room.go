package engine

import (
	"context"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// Live rooms: open, watch, leave and send. A viewer's watch is checked by
// the room's grain (which writes nothing) and registered with this node's
// hub, which merges the room's pushes per window (actors/hub_room.go).

// OpenRoom opens the room of a live stream, owned by owner, and returns its
// id (wire.RoomPrefix + streamID). Opening an open room of the same owner
// returns it again.
func (e *Engine) OpenRoom(ctx context.Context, streamID, owner string) (string, error) {
	body, err := e.Call(ctx, owner, wire.OpOpenRoom, marshalArgs(wire.OpenRoomArgs{Stream: streamID}))
	if err != nil {
		return "", err
	}
	var res wire.OpenRoomResult
	if err := decodeInto(body, &res); err != nil {
		return "", err
	}
	return res.Room, nil
}

// RoomStats returns this node's room delivery counters.
func (e *Engine) RoomStats() actors.RoomStats {
	if e.hub == nil {
		return actors.RoomStats{}
	}
	return e.hub.RoomStats()
}

func (e *Engine) openRoom(r request) ([]byte, error) {
	var a wire.OpenRoomArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if err := actors.ValidStream(a.Stream); err != nil {
		return nil, err
	}
	return e.groupCall(r.user, wire.OpOpenRoom, actors.RoomID(a.Stream), r.args, nil)
}

// watchRoom admits a viewer, subscribes the connection, then (with After)
// pushes what it missed: a Gap for chatter no longer retained, then the
// retained messages, as a resync does.
func (e *Engine) watchRoom(r request) ([]byte, error) {
	var a wire.WatchRoomArgs
	g, err := groupArgs(r.args, &a, &a.Room)
	if err != nil {
		return nil, err
	}
	c, ok := r.out.(actors.Conn)
	if !ok {
		return nil, wire.Errorf(wire.CodeBadRequest, "watch_room needs a client connection")
	}
	body, err := e.groupCall(r.user, wire.OpWatchRoom, g, marshalArgs(wire.GroupArgs{Group: g}), nil)
	if err != nil {
		return nil, err
	}
	var info wire.RoomInfo
	if err := decodeInto(body, &info); err != nil {
		return nil, err
	}
	if cc, ok := c.(*conn); ok {
		cc.asViewer(e.cfg.Group.Room.ViewerSendBuffer) // room_viewer.go
	}
	e.hub.WatchRoom(c, g)
	if a.After != nil {
		after := *a.After
		if after+1 < info.ChatterFrom {
			info.Gap = true
			if frame, err := wire.EncodeFrame(wire.FrameGap, &wire.Gap{Group: g, From: after + 1, To: info.ChatterFrom - 1}); err == nil {
				pushWait(r.out, frame)
			}
		}
		rg := e.resyncGroup(r.user, g, after, r.out)
		info.Sent, info.Gap = rg.Sent, info.Gap || rg.Gap
		if rg.LastSeq > info.LastSeq {
			info.LastSeq = rg.LastSeq
		}
	}
	return wire.Marshal(&info)
}

func (e *Engine) leaveRoom(r request) ([]byte, error) {
	g, err := groupOf(r.args)
	if err != nil {
		return nil, err
	}
	if c, ok := r.out.(actors.Conn); ok {
		e.hub.LeaveRoom(c, g)
	}
	return wire.Marshal(wire.Empty{})
}

// roomSendTo reads a room send's group (and text, for the host's
// moderation hook), like sendTo.
func (e *Engine) roomSendTo(r request) (string, error) {
	if !e.moderatesText() {
		return groupOf(r.args)
	}
	var a wire.RoomSendArgs
	g, err := groupArgs(r.args, &a, &a.Group)
	if err != nil {
		return "", err
	}
	return g, e.checkText(r.ctx, g, r.user, a.Body.Text)
}
