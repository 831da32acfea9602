package actors

import (
	"fmt"
	"time"
)

// RoomConfig bounds live rooms (groups of kind room). It is part of
// GroupConfig; the hub reads the fan-out fields from Deps.Group.Room.
type RoomConfig struct {
	// WindowMS is the merge window of a new room in milliseconds: a
	// viewer's pushes of one room within it go out as one RoomPush frame.
	// 0 = off (every delivery at once); at most wire.MaxRoomWindowMS. Per
	// room changeable with room_config. Default 50.
	WindowMS int
	// ViewerRate and ViewerBurst are each viewer's send rate (messages/s)
	// and burst; owner and admins are exempt. Default 1 and 3.
	ViewerRate  float64
	ViewerBurst int
	// ChatterCap is the room-wide chatter ingress rate (messages/s); excess
	// chatter is refused with rate_limited and a retry-after, other lanes
	// are always accepted. ChatterBurst is its burst. Default 200 and 200.
	ChatterCap   float64
	ChatterBurst int
	// RetainMax and RetainAge bound chatter retention: chatter among a
	// room's last RetainMax seqs and younger than RetainAge is kept for
	// history and resync; older chatter is gone (a gap). Default 10 000 and
	// 24 h.
	RetainMax int
	RetainAge time.Duration
	// SampleK is how many chatter messages per second a viewer under
	// overload still receives; the rest are counted as skipped. Default 10.
	SampleK int
	// ThinBacklog is the number of frames queued on a viewer's connection
	// above which that viewer's chatter is sampled. Default 16.
	ThinBacklog int
	// ThinLag is the delivery age above which a viewer's chatter is
	// sampled: the oldest frame on its connection has waited this long to
	// be written (the socket is full: the reader is behind). It sees a
	// reader that is slow in its own process, which kernel buffers would
	// otherwise absorb without any queue growing. Default 100 ms.
	ThinLag time.Duration
	// ViewerSendBuffer is the kernel send buffer (SO_SNDBUF, bytes) set on
	// a connection when it starts watching a room, so that a slow reader
	// fills it soon and shows as lag instead of seconds of buffered
	// chatter. 0 leaves the operating system's default. Default 32 KiB.
	ViewerSendBuffer int
	// ThinAbove is the chatter rate (messages/s, measured by each hub) above
	// which every viewer of the room gets sampled chatter. Default 400.
	ThinAbove float64
	// CountEvery is how often each hub reports its viewer count per room
	// and pushes the room's online count (the sum over nodes) to its
	// viewers. A node's count expires after 3 × CountEvery. Default 2 s.
	CountEvery time.Duration
	// MaxAnonymous bounds a node's anonymous viewer connections: a hello
	// without a token is welcomed as a signed-out viewer, who may watch
	// rooms and nothing else, while fewer than this many are connected;
	// past it (or with 0) such a hello is refused. Default 20 000.
	MaxAnonymous int
	// MaxSpeakers bounds the rate-limit entries a room keeps (least
	// recently used speakers are forgotten first). Default 100 000.
	MaxSpeakers int
}

// DefaultRoomConfig returns the defaults documented on RoomConfig.
func DefaultRoomConfig() RoomConfig {
	return RoomConfig{WindowMS: 50, ViewerRate: 1, ViewerBurst: 3, ChatterCap: 200, ChatterBurst: 200,
		RetainMax: 10000, RetainAge: 24 * time.Hour, SampleK: 10, ThinBacklog: 16, ThinLag: 100 * time.Millisecond, ViewerSendBuffer: 32 << 10, ThinAbove: 400,
		CountEvery: 2 * time.Second, MaxSpeakers: 100_000, MaxAnonymous: 20_000}
}

// Validate reports a field out of range.
func (c RoomConfig) Validate() error {
	switch {
	case c.WindowMS < 0 || c.WindowMS > 1000:
		return fmt.Errorf("actors: Room.WindowMS %d not in [0, 1000]", c.WindowMS)
	case !(c.ViewerRate > 0) || c.ViewerBurst < 1 || !(c.ChatterCap > 0) || c.ChatterBurst < 1:
		return fmt.Errorf("actors: Room rates must be > 0 and bursts >= 1")
	case c.RetainMax < 1 || c.RetainMax > 1<<20 || c.RetainAge <= 0:
		return fmt.Errorf("actors: Room.RetainMax must be in [1, %d] and RetainAge > 0", 1<<20)
	case c.SampleK < 0 || c.ThinBacklog < 1 || c.ThinAbove <= 0 || c.ThinLag <= 0:
		return fmt.Errorf("actors: Room.SampleK >= 0, ThinBacklog >= 1, ThinAbove > 0, ThinLag > 0")
	case c.ViewerSendBuffer < 0 || c.ViewerSendBuffer > 16<<20:
		return fmt.Errorf("actors: Room.ViewerSendBuffer %d not in [0, 16 MiB]", c.ViewerSendBuffer)
	case c.CountEvery < 10*time.Millisecond:
		return fmt.Errorf("actors: Room.CountEvery %v < 10ms", c.CountEvery)
	case c.MaxAnonymous < 0:
		return fmt.Errorf("actors: Room.MaxAnonymous < 0")
	case c.MaxSpeakers < 1:
		return fmt.Errorf("actors: Room.MaxSpeakers < 1")
	}
	return nil
}
