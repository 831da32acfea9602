package engine

import (
	"sync"
	"time"
)

// The writer: a goroutine that exists only while a connection has frames
// to send. Push starts it when the queue goes from empty to non-empty; it
// copies every queued frame into one pooled buffer per write and returns
// once the queue is empty, so an idle connection holds neither a goroutine
// nor a buffer.

// writeBufs lends write buffers, so that an idle connection holds none.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// startWriter starts the writer unless one runs or the reader has returned.
// c.mu is held.
func (c *conn) startWriter() {
	if c.writing || c.done {
		return
	}
	c.writing = true
	c.e.wg.Add(1) // under c.mu: the reader's wg count is still held (done is false)
	go c.writeLoop()
}

func (c *conn) writeLoop() {
	defer c.e.wg.Done()
	for {
		c.mu.Lock()
		q, closing := c.queue, c.closing
		c.queue, c.queued = nil, 0
		c.writeSince = c.queuedAt // how long this batch waited, for Lag (room_viewer.go)
		if len(q) == 0 {
			c.writeSince = 0
			c.writing = false
			done := c.done
			c.mu.Unlock()
			if closing || done {
				c.cancel()
				c.nc.Close()
			}
			return
		}
		c.mu.Unlock()
		select {
		case c.room <- struct{}{}:
		default:
		}
		// Every queued frame goes out in one write.
		bp := writeBufs.Get().(*[]byte)
		buf := (*bp)[:0]
		for _, f := range q {
			buf = append(buf, f...)
		}
		d := c.e.cfg.WriteTimeout
		if closing {
			d = time.Second
		}
		err := c.writeChunks(buf, d)
		if cap(buf) <= 256<<10 { // don't pool a burst's giant buffer
			*bp = buf[:0]
			writeBufs.Put(bp)
		}
		if err != nil || closing {
			// After the final frame (or a failed write) the connection is
			// over: the writer stays marked as running, so none restarts.
			// After a final frame the sending side is only shut down, so
			// that a reset cannot destroy it: the reader drains and closes
			// (linger.go).
			lingering := false
			if err == nil {
				c.mu.Lock()
				lingering = !c.readerGone && halfClose(c.nc)
				c.linger.Store(lingering)
				c.mu.Unlock()
			}
			c.cancel()
			c.stopReading()
			if !lingering {
				c.nc.Close()
			}
			return
		}
	}
}

// readerDone is the reader's last step: no writer starts after it, and the
// socket closes now unless a writer is still flushing (it closes it then).
func (c *conn) readerDone() {
	c.mu.Lock()
	c.done = true
	writing := c.writing
	c.mu.Unlock()
	if !writing {
		c.nc.Close()
	}
}

// writeChunk bounds one write call, so that WriteTimeout bounds the time a
// reader makes no progress rather than the time it takes to read a whole
// batch: a slow room viewer (whose chatter the hub then samples) is not cut
// off for taking longer than WriteTimeout over a large batch.
const writeChunk = 64 << 10

// writeChunks writes buf in chunks of at most writeChunk bytes, each with
// deadline d.
func (c *conn) writeChunks(buf []byte, d time.Duration) error {
	for len(buf) > 0 {
		n := min(len(buf), writeChunk)
		_ = c.nc.SetWriteDeadline(time.Now().Add(d))
		if _, err := c.nc.Write(buf[:n]); err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}
