package engine

import (
	"bufio"
	"net"
	"sync"
)

// The reader's buffers are lent while traffic flows: when everything read
// so far has been handled, the reader returns its bufio.Reader to a pool
// and waits for the next byte with a one-byte read, so an idle connection
// holds no read buffer (and no frame buffer over smallFrameBuf).

// readBufs lends 1 KiB read buffers; frames larger than that are read
// straight into the frame buffer.
var readBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<10) }}

// A connection whose client pipelines (a whole small buffer of frames at a
// time) reads through a busyBuf buffer instead, until it next goes idle: one
// read then brings up to busyBuf bytes of requests, which the reader hands
// to their grains in as few batches (batch.go).
const busyBuf = 16 << 10

// busyFrames is how many frames read since the buffer last ran out mark a
// pipelining client.
const busyFrames = 4

var busyBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, busyBuf) }}

// smallFrameBuf is the largest frame buffer an idle connection keeps.
const smallFrameBuf = 512

// firstByte is a net.Conn's reader that yields one byte already read first.
// Or, after a switch to a busy buffer, the bytes the small one still held.
type firstByte struct {
	nc   net.Conn
	b    byte
	has  bool
	one  [1]byte // what an idle reader reads into
	busy bool    // the client pipelines: wake from idle with a busy buffer
	rest []byte  // carried over from the small buffer (grow)
}

func (f *firstByte) Read(p []byte) (int, error) {
	if f.has && len(p) > 0 {
		p[0], f.has = f.b, false
		return 1, nil
	}
	if len(f.rest) > 0 {
		n := copy(p, f.rest)
		if f.rest = f.rest[n:]; len(f.rest) == 0 {
			f.rest = nil
		}
		return n, nil
	}
	return f.nc.Read(p)
}

// grow moves a pipelining connection (frames read since its buffer last
// ran out) from the small buffer to a busy one, carrying over what the
// small one holds; idle gives the busy buffer back.
func (c *conn) grow(r *bufio.Reader, frames int) *bufio.Reader {
	c.first.busy = frames >= busyFrames
	if !c.first.busy || r.Size() >= busyBuf || r.Buffered() == 0 {
		return r // (an empty buffer goes idle, and wakes as busy says)
	}
	var rest []byte
	if n := r.Buffered(); n > 0 {
		b, _ := r.Peek(n)
		rest = append([]byte(nil), b...)
	}
	c.returnReader(r)
	c.first.rest = rest
	big := busyBufs.Get().(*bufio.Reader)
	big.Reset(&c.first)
	_, _ = big.Peek(len(rest)) // buffered again (from rest, without reading the socket)
	return big
}

func (c *conn) borrowReader() *bufio.Reader {
	c.first.nc = c.nc
	pool := &readBufs
	if c.first.busy {
		pool = &busyBufs
	}
	r := pool.Get().(*bufio.Reader)
	r.Reset(&c.first)
	return r
}

func (c *conn) returnReader(r *bufio.Reader) {
	r.Reset(nil)
	if r.Size() >= busyBuf {
		busyBufs.Put(r)
		return
	}
	readBufs.Put(r)
}

// idle returns the read buffer, blocks until a byte arrives (or the read
// deadline passes), then borrows a buffer again that starts with that byte.
// A large frame buffer is dropped.
func (c *conn) idle(r *bufio.Reader, buf []byte) (*bufio.Reader, []byte, error) {
	c.returnReader(r)
	if cap(buf) > smallFrameBuf {
		buf = nil
	}
	for {
		n, err := c.nc.Read(c.first.one[:])
		if n == 1 {
			c.first.b, c.first.has = c.first.one[0], true
			return c.borrowReader(), buf, nil
		}
		if err != nil {
			return c.borrowReader(), buf, err
		}
	}
}
