package engine

import (
	"sync/atomic"

	"github.com/qunchat/qun/wire"
)

// Frame check: no frame the server writes may exceed the max_frame it
// announced. Replies and pushes are built to fit (lists are cut with
// wire.Fit, resync is bounded, history pages by bytes); this is the net
// under them, in the connection's send path. A reply that would not fit
// becomes a reply_too_large error; any other frame that would not fit is
// dropped and the connection closed as slow_consumer (reconnect and
// resync). Either is counted: tests assert the count stays zero.

// oversizeFrames counts frames that did not fit, in every engine of the
// process.
var oversizeFrames atomic.Int64

// fits reports whether frame (length prefix included) is within the
// announced limit, counting and logging one that is not.
func (c *conn) fits(frame []byte) bool {
	if len(frame)-4 <= c.e.cfg.MaxFrameSize {
		return true
	}
	oversizeFrames.Add(1)
	c.e.log.Error("frame over max_frame not sent", "bytes", len(frame)-4, "max_frame", c.e.cfg.MaxFrameSize, "user", c.user)
	return false
}

// tooLarge replaces an oversize reply to request id.
func tooLarge(id uint32) []byte {
	f, _ := wire.EncodeFrame(wire.FrameError, &wire.ErrorFrame{ID: id, Code: wire.CodeReplyTooLarge,
		Msg: "the reply would exceed max_frame: ask for less"})
	return f
}
