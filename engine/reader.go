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

// smallFrameBuf is the largest frame buffer an idle connection keeps.
const smallFrameBuf = 512

// firstByte is a net.Conn's reader that yields one byte already read first.
type firstByte struct {
	nc  net.Conn
	b   byte
	has bool
	one [1]byte // what an idle reader reads into
}

func (f *firstByte) Read(p []byte) (int, error) {
	if f.has && len(p) > 0 {
		p[0], f.has = f.b, false
		return 1, nil
	}
	return f.nc.Read(p)
}

func (c *conn) borrowReader() *bufio.Reader {
	c.first.nc = c.nc
	r := readBufs.Get().(*bufio.Reader)
	r.Reset(&c.first)
	return r
}

func (c *conn) returnReader(r *bufio.Reader) {
	r.Reset(nil)
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
