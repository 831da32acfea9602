package engine

// The awaiter: requests a connection sent straight to their grains (the
// in-order routes) are answered by one goroutine per connection that waits
// for their results oldest first, instead of a goroutine per request. It
// runs only while such requests are outstanding, so an idle connection has
// none. A reply that comes back before an older one waits for it: the
// grains of one connection's in-order requests answer within one store
// commit of each other, and replies carry their request id.

type awaited struct {
	id uint32
	p  pending
}

// await queues a dispatched request for the awaiter, starting it if needed.
// Called by the reader, so the engine's wait group is held.
func (c *conn) await(id uint32, p pending) {
	c.mu.Lock()
	c.waitQ = append(c.waitQ, awaited{id: id, p: p})
	start := !c.awaiting
	if start {
		c.awaiting = true
		c.e.wg.Add(1)
	}
	c.mu.Unlock()
	if start {
		go c.awaitLoop()
	}
}

func (c *conn) awaitLoop() {
	defer c.e.wg.Done()
	for {
		c.mu.Lock()
		if len(c.waitQ) == 0 {
			c.waitQ, c.awaiting = nil, false
			c.mu.Unlock()
			return
		}
		w := c.waitQ[0]
		c.waitQ[0] = awaited{}
		c.waitQ = c.waitQ[1:]
		c.mu.Unlock()
		body, err := w.p.wait()
		c.finish(w.id, body, err)
	}
}
