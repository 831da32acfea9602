package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/qunchat/qun/client"
)

// The room scenario against Qun: a live room (wire ops 140-145) instead of
// a group. Its owner (connection 0) opens it and sends chatter (and, with
// --gifts, gifts in the high lane); every member watches it and reads the
// merged RoomPush frames, counting the chatter each frame says it skipped.

// buildRoom opens the room; q.gids[0] is its id.
func (q *qunLoad) buildRoom(ctx context.Context, groups [][]int) error {
	c, err := q.dial(ctx, groups[0][0], client.Options{PingInterval: -1})
	if err != nil {
		return err
	}
	defer c.Close()
	var window *int
	switch w := q.cfg.MergeWindowMS; {
	case w < 0:
		window = new(int)
	case w > 0:
		window = &w
	}
	res, err := c.OpenRoom(ctx, q.prefix+"live", "bench", window)
	if err != nil {
		return fmt.Errorf("open room: %w", err)
	}
	q.gids = []string{res.Room}
	return nil
}

// dialAnonymous connects a signed-out viewer (a hello without a token).
func (q *qunLoad) dialAnonymous(ctx context.Context, opts client.Options) (*client.Client, error) {
	opts.Name = "qunbench"
	opts.DialTimeout = 30 * time.Second
	return client.Dial(ctx, q.srv.addr, opts)
}

// onRoomFrame walks a RoomPush like a push, and counts its skipped chatter.
func (qr *qunReader) onRoomFrame(body []byte) {
	skipped, ok := walkRoomPush(body, qr.fn)
	if !ok {
		qr.m.errs.Add(1)
	}
	if skipped > 0 && qr.m.running.Load() {
		qr.m.skipped.Add(int64(skipped))
	}
}

// walkRoomPush is walkPush for a RoomPush body ({"g", "msgs", "skipped",
// "online"}); it returns the skipped count.
func walkRoomPush(body []byte, fn func(group []byte, seq uint64, typ uint64, text []byte)) (int, bool) {
	p := mp{b: body}
	var group []byte
	skipped := 0
	n := p.mapLen()
	for k := 0; k < n && !p.bad; k++ {
		switch string(p.str()) {
		case "g":
			group = p.str()
		case "msgs":
			m := p.arrLen()
			for j := 0; j < m && !p.bad; j++ {
				walkMsg(&p, group, fn)
			}
		case "skipped":
			skipped = int(p.uint())
		default:
			p.skip(0)
		}
	}
	return skipped, !p.bad
}
