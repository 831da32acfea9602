package engine

import (
	"io"
	"net"
	"time"
)

// Linger: when the server closes a connection with an error frame while the
// client still has bytes in flight towards it (pipelined requests past the
// in-flight limit, say), closing the socket at once makes the kernel answer
// with a reset, and a reset can destroy the error frame before the client
// reads it. So the writer, after the final frame, only shuts down its
// sending side; the reader then discards what the client still sends, for
// at most lingerTime or lingerBytes, and closes the socket.

const (
	lingerTime  = time.Second
	lingerBytes = 1 << 20
)

// halfClose shuts down the sending side of nc, reporting whether it could:
// if not, the caller closes nc itself.
func halfClose(nc net.Conn) bool {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite() == nil
	}
	return false
}

// drainAndClose discards what the peer still sends, bounded, then closes.
func drainAndClose(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, nc, lingerBytes)
	_ = nc.Close()
}
