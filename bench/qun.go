package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// runPrefix returns a fresh user-name prefix, so that rounds against one
// external server never share users or groups.
func runPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "qb" + hex.EncodeToString(b) + "-"
}

// forEach runs fn(0..n-1) with at most par at once and returns the first error.
func forEach(ctx context.Context, n, par int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, max(par, 1))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			i = n
			continue
		}
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// qunReader is the lean Qun reader: it gets push frames raw (OnFrame) and
// parses only each message's seq and the send time at the start of its text.
type qunReader struct {
	r      *reader
	m      *meter
	now    int64
	last   uint64             // one group
	lastBy map[string]*uint64 // many groups (also what a resync asks for)
	fn     func(group []byte, seq, typ uint64, text []byte)
	mu     *sync.Mutex // resync: guards lastBy between connections
	room   bool        // a room viewer: merged frames, seqs with gaps (room.go)
	high   int         // the gift sender's index in payloads, or -1
}

func newQunReader(m *meter, count bool, multi bool) *qunReader {
	qr := &qunReader{m: m}
	if count {
		qr.r = m.newReader()
	}
	if multi {
		qr.lastBy = map[string]*uint64{}
	}
	qr.fn = qr.onMsg
	return qr
}

func (qr *qunReader) onFrame(t wire.FrameType, body []byte) {
	if t == wire.FrameGap {
		if qr.r != nil {
			qr.r.gaps.Add(1)
		}
		return
	}
	if qr.mu != nil {
		qr.mu.Lock()
		defer qr.mu.Unlock()
	}
	qr.now = qr.m.now()
	if t == wire.FrameRoomPush {
		qr.onRoomFrame(body)
		return
	}
	if !walkPush(body, qr.fn) {
		qr.m.errs.Add(1)
	}
}

func (qr *qunReader) onMsg(group []byte, seq, typ uint64, text []byte) {
	lp := &qr.last
	if qr.lastBy != nil {
		lp = qr.lastBy[string(group)]
		if lp == nil {
			lp = new(uint64)
			qr.lastBy[string(group)] = lp
		}
	}
	if qr.r == nil {
		if seq > *lp {
			*lp = seq
		}
		return
	}
	if *lp != 0 && seq > *lp+1 && !qr.room {
		qr.r.gaps.Add(1)
	}
	if seq > *lp {
		*lp = seq
	}
	if typ != uint64(wire.MsgText) {
		return
	}
	if qr.room && qr.high >= 0 {
		if ts, sender, _, ok := parsePayload(text); ok {
			qr.r.deliver(qr.now, ts)
			if sender == qr.high {
				qr.r.deliverHigh(qr.now, ts)
			}
		}
		return
	}
	if ts, ok := payloadTime(text); ok {
		qr.r.deliver(qr.now, ts)
	}
}

// onClose counts a connection that ended while the run still needed it.
func onCloseCounter(m *meter) func(error) {
	return func(err error) {
		if !m.running.Load() || err == nil {
			return
		}
		if wire.CodeOf(err) == wire.CodeSlowConsumer {
			m.slow.Add(1)
		} else {
			m.errs.Add(1)
		}
	}
}

// qunLoad is Qun as a loadTarget.
type qunLoad struct {
	srv     *qunServer
	cfg     *Config
	m       *meter
	sh      *shape
	prefix  string
	clients []*client.Client
	sems    []chan struct{}
	gids    []string
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cmidSeq atomic.Uint64
}

func (q *qunLoad) name() string { return "qun" }
func (q *qunLoad) mode() string {
	if q.srv == nil {
		return ""
	}
	return q.srv.mode
}
func (q *qunLoad) proc() proc { return q.srv.proc }

func (q *qunLoad) notes() []string {
	var n []string
	if q.srv != nil && q.srv.mode == ModeInProcess {
		n = append(n, "server runs in-process: server_cpu_s and server_rss_mb include the load generator (use --spawn to measure the server alone)")
	}
	if q.srv != nil && len(q.srv.peers) > 0 {
		n = append(n, fmt.Sprintf("a cluster of %d spawned nodes with replication (R = %d), clients spread over them; an ack waits for a quorum's fsync; server CPU and RSS are the nodes' sums",
			len(q.srv.peers)+1, ClusterReplicas(len(q.srv.peers)+1)))
	}
	if q.srv != nil && q.srv.mode == ModeExternal {
		n = append(n, "external server: CPU and memory are not measured")
	}
	return n
}

func (q *qunLoad) user(i int) string { return q.prefix + "u" + strconv.Itoa(i) }

func (q *qunLoad) dial(ctx context.Context, i int, opts client.Options) (*client.Client, error) {
	tok, err := q.srv.token(q.user(i))
	if err != nil {
		return nil, err
	}
	opts.Token = tok
	opts.Name = "qunbench"
	opts.DialTimeout = 30 * time.Second
	return client.Dial(ctx, q.srv.addrFor(i), opts)
}

// fdNeed is how many descriptors this process needs for n connections.
func (q *qunLoad) fdNeed(n int) uint64 {
	if q.cfg.Server == "" && !q.cfg.Spawn {
		return uint64(2*n + 128) // client and server ends, plus Pebble
	}
	return uint64(n + 64)
}

func (q *qunLoad) open(ctx context.Context, cfg *Config, sh *shape, m *meter) error {
	q.cfg, q.sh, q.m, q.prefix = cfg, sh, m, runPrefix()
	if err := checkFDs(q.fdNeed(sh.conns), "the load generator (with the server in-process)"); err != nil {
		return err
	}
	srv, err := startQun(ctx, cfg)
	if err != nil {
		return err
	}
	q.srv = srv
	q.ctx, q.cancel = context.WithCancel(context.Background())
	build := q.build
	if sh.room {
		build = q.buildRoom
	}
	if err := build(ctx, sh.groups); err != nil {
		return err
	}
	// Phase B: every member online, reading.
	q.clients = make([]*client.Client, sh.conns)
	q.sems = make([]chan struct{}, sh.conns)
	multi := len(sh.groups) > 1
	return forEach(ctx, sh.conns, 64, func(i int) error {
		qr := newQunReader(m, sh.readers, multi)
		if sh.room {
			qr.room, qr.high = true, sh.highSender
		}
		c, err := q.dial(ctx, i, client.Options{OnFrame: qr.onFrame, OnClose: onCloseCounter(m)})
		if err != nil {
			return err
		}
		if sh.room {
			if _, err := c.WatchRoom(ctx, q.gids[0], nil); err != nil {
				return fmt.Errorf("watch room: %w", err)
			}
		}
		q.clients[i] = c
		q.sems[i] = make(chan struct{}, cfg.Window)
		return nil
	})
}

// build creates the groups and joins their members over short-lived
// connections, before anyone reads: the join events are then history, not
// N² pushes to members already online.
func (q *qunLoad) build(ctx context.Context, groups [][]int) error {
	q.gids = make([]string, len(groups))
	owned := map[int][]int{}
	joins := map[int][]int{}
	for g, ms := range groups {
		owned[ms[0]] = append(owned[ms[0]], g)
		for _, u := range ms[1:] {
			joins[u] = append(joins[u], g)
		}
	}
	run := func(work map[int][]int, op func(c *client.Client, g int) error) error {
		users := make([]int, 0, len(work))
		for u := range work {
			users = append(users, u)
		}
		return forEach(ctx, len(users), 32, func(i int) error {
			u := users[i]
			c, err := q.dial(ctx, u, client.Options{PingInterval: -1})
			if err != nil {
				return err
			}
			defer c.Close()
			gs := work[u]
			return forEach(ctx, len(gs), 16, func(k int) error { return op(c, gs[k]) })
		})
	}
	err := run(owned, func(c *client.Client, g int) error {
		id, err := c.CreateGroup(ctx, fmt.Sprintf("bench %d", g))
		q.gids[g] = id
		return err
	})
	if err != nil {
		return fmt.Errorf("create groups: %w", err)
	}
	err = run(joins, func(c *client.Client, g int) error {
		_, err := c.Join(ctx, q.gids[g])
		return err
	})
	if err != nil {
		return fmt.Errorf("join groups: %w", err)
	}
	return nil
}

type qunSide struct {
	q *qunLoad
	j int
}

func (q *qunLoad) sender(j int) sendSide { return &qunSide{q: q, j: j} }

// send issues one durable send on connection conn; the connection's window
// bounds the sends awaiting their acknowledgement.
func (s *qunSide) send(gi, conn int, payload []byte, sent int64) bool {
	q := s.q
	select {
	case q.sems[conn] <- struct{}{}:
	case <-q.ctx.Done():
		return false
	}
	text := string(payload)
	cmid := ""
	if !q.cfg.NoCMID {
		cmid = "c" + strconv.FormatUint(q.cmidSeq.Add(1), 36)
	}
	c, gid, m, withLat := q.clients[conn], q.gids[gi], q.m, q.sh.ackLatency
	room, lane := q.sh.room, wire.LaneChatter
	if s.j == q.sh.highSender {
		lane = wire.LaneHigh
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		var err error
		if room {
			_, err = c.RoomSend(q.ctx, gid, cmid, text, lane)
		} else {
			_, err = c.SendText(q.ctx, gid, cmid, text)
		}
		<-q.sems[conn]
		now := m.now()
		if wire.CodeOf(err) == wire.CodeRateLimited {
			m.refused.Add(1)
			return
		}
		if err != nil {
			if q.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				m.sendErrs.Add(1)
			}
			return
		}
		m.ack(now, sent, withLat, s.j)
	}()
	return true
}

func (s *qunSide) wait(d time.Duration) { waitGroupTimeout(&s.q.wg, d) }

func (q *qunLoad) close() {
	if q.cancel != nil {
		q.cancel()
	}
	if q.m != nil {
		q.m.running.Store(false)
	}
	waitGroupTimeout(&q.wg, 10*time.Second)
	var wg sync.WaitGroup
	for _, c := range q.clients {
		if c != nil {
			wg.Add(1)
			go func() { defer wg.Done(); c.Close() }()
		}
	}
	wg.Wait()
	if q.srv != nil && q.srv.mode != ModeExternal {
		q.srv.close()
	}
}
