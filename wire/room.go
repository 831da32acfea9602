package wire

// Live rooms (docs/protocol.md, "Live rooms"): a room is a group of kind
// room. Viewers watch it without joining; messages carry a lane; pushes to
// viewers are merged over a short window into RoomPush frames. Ops 140-169,
// errors 320-339, frame type 140 (append-only).

// Room operations.
const (
	OpOpenRoom   Op = 140 // OpenRoomArgs → OpenRoomResult
	OpCloseRoom  Op = 141 // GroupArgs → SeqResult (owner or admins)
	OpWatchRoom  Op = 142 // WatchRoomArgs → RoomInfo (missed messages arrive as Push/Gap frames first)
	OpLeaveRoom  Op = 143 // GroupArgs → Empty (stop watching)
	OpRoomSend   Op = 144 // RoomSendArgs → SendResult
	OpRoomConfig Op = 145 // RoomConfigArgs → SeqResult (owner or admins)
)

// FrameRoomPush is a server → client RoomPush: a room's messages merged
// over its window for one viewer connection.
const FrameRoomPush FrameType = 140

// Room errors.
const (
	CodeNotARoom    Code = 320 // the id names a group that is not a room (or a room op on a group)
	CodeRoomClosed  Code = 321 // the stream ended: the room takes no viewers or messages; history stays
	CodeRateLimited Code = 322 // too fast: retry after ErrorFrame.RetryAfter ms
)

// Lane is a message's priority in a room. Append-only. Messages of plain
// groups have no lane (LaneNormal).
type Lane uint8

// Lanes.
const (
	LaneNormal  Lane = 0 // rich messages: journaled, never shed for a connected viewer
	LaneChatter Lane = 1 // ordinary text: bounded retention, sampled under overload
	LaneHigh    Lane = 2 // gifts, red packets, announcements, owner/admin and system messages
)

func (l Lane) String() string {
	switch l {
	case LaneChatter:
		return "chatter"
	case LaneHigh:
		return "high"
	}
	return "normal"
}

// Room system events.
const (
	EventRoomOpened = "room_opened" // Actor opened the room; Text is the stream id
	EventRoomClosed = "room_closed" // the stream ended
	EventRoomConfig = "room_config" // window or slow mode changed; Text names them
)

// MaxStreamLen bounds a stream id ([A-Za-z0-9_-]); the room id is
// RoomPrefix + stream.
const MaxStreamLen = 59

// RoomPrefix starts every room id.
const RoomPrefix = "room-"

// MaxRoomWindowMS bounds a room's merge window; MaxSlowModeS its slow mode.
const (
	MaxRoomWindowMS = 1000
	MaxSlowModeS    = 3600
)

// OpenRoomArgs opens (creates) the room of a live stream, owned by the
// caller. Opening a room that is already open by the same owner returns it.
type OpenRoomArgs struct {
	Stream   string `msgpack:"stream"`
	Name     string `msgpack:"name,omitempty"`
	WindowMS *int   `msgpack:"window_ms,omitempty"` // merge window; absent = server default (50), 0 = off
}

// OpenRoomResult names the room.
type OpenRoomResult struct {
	Room    string `msgpack:"g"`
	Seq     uint64 `msgpack:"seq"`
	Existed bool   `msgpack:"existed,omitempty"`
}

// WatchRoomArgs starts watching a room on this connection. With After
// present the messages after that seq are pushed first (a resync).
type WatchRoomArgs struct {
	Room  string  `msgpack:"g"`
	After *uint64 `msgpack:"after,omitempty"`
}

// RoomInfo describes a room to a viewer.
type RoomInfo struct {
	Room        string `msgpack:"g"`
	Name        string `msgpack:"name"`
	Owner       string `msgpack:"owner"`
	LastSeq     uint64 `msgpack:"last_seq"`
	Online      int    `msgpack:"online"`
	WindowMS    int    `msgpack:"window_ms"`
	SlowModeS   int    `msgpack:"slow_mode_s,omitempty"`
	Closed      bool   `msgpack:"closed,omitempty"`
	ChatterFrom uint64 `msgpack:"chatter_from"`   // oldest seq whose chatter may still be retained
	Sent        int    `msgpack:"sent,omitempty"` // messages pushed before this reply (With After)
	Gap         bool   `msgpack:"gap,omitempty"`  // a Gap frame was sent first
}

// RoomSendArgs posts a message in a lane. OpSend on a room posts chatter
// (a viewer) or high (the owner or an admin).
type RoomSendArgs struct {
	Group string  `msgpack:"g"`
	CMID  string  `msgpack:"cmid"`
	Type  MsgType `msgpack:"type"`
	Body  Body    `msgpack:"body"`
	Lane  Lane    `msgpack:"lane"`
}

// RoomConfigArgs changes a room's merge window or slow mode (nil = unchanged).
type RoomConfigArgs struct {
	Group     string `msgpack:"g"`
	WindowMS  *int   `msgpack:"window_ms,omitempty"`
	SlowModeS *int   `msgpack:"slow_mode_s,omitempty"` // one message per N seconds per viewer; 0 = off
}

// RoomPush carries a room's messages merged over its window, ascending seq
// (a resync or catch-up uses Push). Skipped is how many chatter messages
// this connection was not sent since its previous RoomPush (sampling under
// overload); Online, when not 0, is the room's viewer count.
type RoomPush struct {
	Group   string    `msgpack:"g"`
	Msgs    []Message `msgpack:"msgs"`
	Skipped int       `msgpack:"skipped,omitempty"`
	Online  int       `msgpack:"online,omitempty"`
}
