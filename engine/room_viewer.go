package engine

import (
	"net"
	"time"
)

// A room viewer's connection tells the hub how far behind its reader is
// (actors.Lagger), so that the hub samples the chatter of a viewer that is
// behind and keeps every normal and high message for it.
//
// The queue alone does not show a slow reader: the kernel's socket buffers
// take hundreds of kilobytes first, tens of seconds of a room, and
// everything arrives late instead of chatter being shed. So a connection
// that starts watching gets a small send buffer (Room.ViewerSendBuffer):
// once the reader's receive buffer and it are full, the writer's write
// blocks, and the age of the oldest unwritten frame grows past
// Room.ThinLag within a window or two.

// Lag implements actors.Lagger: the frames queued and not yet written, and
// how long the oldest unwritten frame (the batch being written, or else
// the first queued) has waited at now.
func (c *conn) Lag(now time.Time) (frames int, age time.Duration) {
	c.mu.Lock()
	frames = len(c.queue)
	since := c.writeSince
	if since == 0 && frames > 0 {
		since = c.queuedAt
	}
	c.mu.Unlock()
	if since != 0 {
		age = time.Duration(now.UnixNano() - since)
	}
	return frames, max(age, 0)
}

// asViewer sets the connection's kernel send buffer to n bytes (0: leave
// it) when it starts watching a room. Linux doubles the value for its
// bookkeeping and stops autotuning the buffer.
func (c *conn) asViewer(n int) {
	if n <= 0 {
		return
	}
	if tc, ok := c.nc.(*net.TCPConn); ok { // a WebSocket keeps its own buffers (not reachable here)
		_ = tc.SetWriteBuffer(n)
	}
}
