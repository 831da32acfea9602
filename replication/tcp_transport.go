package replication

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// TCPConfig configures a TCPTransport.
type TCPConfig struct {
	// StoreID is this node's store id. Required.
	StoreID uint64
	// Listen is the address to listen on, e.g. "127.0.0.1:0". Required.
	Listen string
	// Secret is the cluster secret (at least MinSecretLen bytes) that both
	// ends of every connection must prove they know. Required.
	Secret []byte
	// Shards is S, to range-check incoming shard numbers. Required.
	Shards uint32
	// QueueLen bounds the message batches queued per peer; more are dropped
	// (raft retransmits) and the peer reported unreachable. Default 1024.
	QueueLen int
	// MaxFrame bounds one frame. Default 16 MiB; at most 64 MiB.
	MaxFrame int
	// MaxSnapshotBytes bounds a received snapshot. Default 1 GiB.
	MaxSnapshotBytes int64
	// SnapshotChunkBytes bounds a sent snapshot chunk. Default 1 MiB.
	SnapshotChunkBytes int
	// DialTimeout bounds a dial plus handshake. Default 2 s.
	DialTimeout time.Duration
	// Logger gets connection errors. Default discard.
	Logger *slog.Logger
}

// DefaultTCPConfig returns the defaults; StoreID, Listen, Secret and
// Shards must still be set.
func DefaultTCPConfig() TCPConfig {
	return TCPConfig{
		QueueLen:           1024,
		MaxFrame:           16 << 20,
		MaxSnapshotBytes:   1 << 30,
		SnapshotChunkBytes: 1 << 20,
		DialTimeout:        2 * time.Second,
	}
}

// withDefaults fills every zero field with its default.
func (c TCPConfig) withDefaults() TCPConfig {
	d := DefaultTCPConfig()
	if c.QueueLen == 0 {
		c.QueueLen = d.QueueLen
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = d.MaxFrame
	}
	if c.MaxSnapshotBytes == 0 {
		c.MaxSnapshotBytes = d.MaxSnapshotBytes
	}
	if c.SnapshotChunkBytes == 0 {
		c.SnapshotChunkBytes = d.SnapshotChunkBytes
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first unusable field; zero values mean the default.
func (c TCPConfig) Validate() error {
	bad := func(f string, v any) error { return fmt.Errorf("%w: TCPConfig.%s = %v", ErrInvalidConfig, f, v) }
	c = c.withDefaults()
	switch {
	case c.StoreID == 0:
		return bad("StoreID", c.StoreID)
	case c.Listen == "":
		return bad("Listen", `""`)
	case c.Shards == 0:
		return bad("Shards", c.Shards)
	case len(c.Secret) < MinSecretLen:
		return fmt.Errorf("%w: cluster secret shorter than %d bytes", ErrInvalidConfig, MinSecretLen)
	case c.QueueLen < 1:
		return bad("QueueLen", c.QueueLen)
	case c.MaxFrame < 64<<10 || c.MaxFrame > maxFrame:
		return bad("MaxFrame", c.MaxFrame)
	case c.SnapshotChunkBytes < 1024 || c.SnapshotChunkBytes > c.MaxFrame/2:
		return bad("SnapshotChunkBytes", c.SnapshotChunkBytes)
	case c.MaxSnapshotBytes < int64(c.SnapshotChunkBytes):
		return bad("MaxSnapshotBytes", c.MaxSnapshotBytes)
	case c.DialTimeout < 0:
		return bad("DialTimeout", c.DialTimeout)
	}
	return nil
}

// TCPTransport carries raft messages over one outgoing TCP connection per
// peer, authenticated both ways with the cluster secret. Each peer has a
// bounded queue and one writer goroutine that coalesces everything queued
// into one write. Snapshots go over a connection of their own.
type TCPTransport struct {
	cfg TCPConfig
	ln  net.Listener
	log *slog.Logger

	mu      sync.Mutex
	peers   map[uint64]*tcpPeer
	conns   map[net.Conn]struct{}
	h       Handler
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
	started bool

	refused, dropped, snapshots, chunks atomic.Uint64
}

// TCPStats are a transport's cumulative counters.
type TCPStats struct {
	// Refused counts incoming connections that failed the handshake.
	Refused uint64
	// Dropped counts message batches dropped (queue full, no connection).
	Dropped uint64
	// Snapshots and SnapshotChunks count snapshots sent and their chunks.
	Snapshots, SnapshotChunks uint64
}

// Stats returns the transport's counters.
func (t *TCPTransport) Stats() TCPStats {
	return TCPStats{Refused: t.refused.Load(), Dropped: t.dropped.Load(), Snapshots: t.snapshots.Load(), SnapshotChunks: t.chunks.Load()}
}

// maxCoalesce bounds the messages coalesced into one write.
const maxCoalesce = 8192

type tcpPeer struct {
	id    uint64
	addr  string
	queue chan []Envelope
}

// ListenTCP listens on cfg.Listen. Add peers with SetPeer; a Node starts it.
func ListenTCP(cfg TCPConfig) (*TCPTransport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("replication: listen %s: %w", cfg.Listen, err)
	}
	return &TCPTransport{cfg: cfg, ln: ln, log: cfg.Logger.With("store_id", cfg.StoreID),
		peers: map[uint64]*tcpPeer{}, conns: map[net.Conn]struct{}{}, stop: make(chan struct{})}, nil
}

// Addr is the listening address.
func (t *TCPTransport) Addr() string { return t.ln.Addr().String() }

// SetPeer sets (or changes) the address of store id.
func (t *TCPTransport) SetPeer(id uint64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || id == t.cfg.StoreID {
		return
	}
	if p := t.peers[id]; p != nil {
		if p.addr == addr {
			return
		}
		close(p.queue) // its writer exits
	}
	p := &tcpPeer{id: id, addr: addr, queue: make(chan []Envelope, t.cfg.QueueLen)}
	t.peers[id] = p
	if t.started {
		t.wg.Add(1)
		go t.writer(p)
	}
}

// Start implements Transport.
func (t *TCPTransport) Start(h Handler) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.started {
		return ErrClosed
	}
	t.h, t.started = h, true
	for _, p := range t.peers {
		t.wg.Add(1)
		go t.writer(p)
	}
	t.wg.Add(1)
	go t.accept()
	return nil
}

// Send implements Transport.
func (t *TCPTransport) Send(to uint64, envs []Envelope) {
	t.mu.Lock()
	p, h, closed := t.peers[to], t.h, t.closed
	if p != nil && !closed {
		select {
		case p.queue <- envs:
			t.mu.Unlock()
			return
		default:
		}
	}
	t.mu.Unlock()
	t.dropped.Add(1)
	if h != nil && !closed {
		h.Unreachable(to)
	}
}

// Close implements Transport.
func (t *TCPTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.stop)
	for _, p := range t.peers {
		close(p.queue)
	}
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	err := t.ln.Close()
	t.wg.Wait()
	return err
}

func (t *TCPTransport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		_ = c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *TCPTransport) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	_ = c.Close()
}

// dial connects to p and authenticates.
func (t *TCPTransport) dial(ctx context.Context, p *tcpPeer, kind byte) (net.Conn, error) {
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if !t.track(c) {
		return nil, ErrClosed
	}
	if err := dialHandshake(c, t.cfg.Secret, kind, t.cfg.StoreID, p.id, t.cfg.DialTimeout); err != nil {
		t.untrack(c)
		return nil, err
	}
	return c, nil
}

// writer owns p's connection: it coalesces queued batches into frames and
// writes them with one call; on any error it drops the connection and what
// it held, and reports p unreachable. Reconnects are paced by a backoff.
func (t *TCPTransport) writer(p *tcpPeer) {
	defer t.wg.Done()
	var conn net.Conn
	defer func() {
		if conn != nil {
			t.untrack(conn)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	var buf []byte
	var retryAt time.Time
	backoff := 50 * time.Millisecond
	for envs := range p.queue {
		if conn == nil {
			if time.Now().Before(retryAt) {
				t.h.Unreachable(p.id)
				continue
			}
			c, err := t.dial(ctx, p, connMessages)
			if err != nil {
				retryAt = time.Now().Add(backoff)
				backoff = min(2*backoff, time.Second)
				t.log.Debug("replication: dial", "peer", p.id, "err", err)
				t.h.Unreachable(p.id)
				continue
			}
			conn, backoff = c, 50*time.Millisecond
		}
		buf = buf[:0]
		var err error
		batch := envs
	coalesce:
		for len(batch) < maxCoalesce {
			select {
			case more, ok := <-p.queue:
				if !ok {
					break coalesce
				}
				if len(batch) == len(envs) {
					batch = append(make([]Envelope, 0, 2*(len(envs)+len(more))), envs...)
				}
				batch = append(batch, more...)
			default:
				break coalesce
			}
		}
		if buf, err = t.appendFrames(buf, batch); err == nil {
			_, err = conn.Write(buf)
		}
		if cap(buf) > 4*t.cfg.MaxFrame {
			buf = nil
		}
		if err != nil {
			t.log.Debug("replication: send", "peer", p.id, "err", err)
			t.untrack(conn)
			conn = nil
			t.h.Unreachable(p.id)
		}
	}
}

// appendFrames encodes envs as frames of at most MaxFrame bytes; a single
// message over the bound is dropped.
func (t *TCPTransport) appendFrames(dst []byte, envs []Envelope) ([]byte, error) {
	limit := t.cfg.MaxFrame - 64
	for len(envs) > 0 {
		n, size := 0, 0
		for n < len(envs) {
			s := proto.Size(envs[n].Msg) + 2*binary.MaxVarintLen64
			if n > 0 && size+s > limit {
				break
			}
			size += s
			n++
		}
		if size > limit {
			envs = envs[1:] // one message too large: raft will retry or report
			continue
		}
		var err error
		dst = appendFrame(dst, func(b []byte) []byte {
			b, err = appendMessages(b, envs[:n])
			return b
		})
		if err != nil {
			return dst, err
		}
		envs = envs[n:]
	}
	return dst, nil
}

func (t *TCPTransport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return // closed
		}
		if !t.track(c) {
			return
		}
		t.wg.Add(1)
		go t.serve(c)
	}
}

// serve authenticates an incoming connection, then reads its frames.
func (t *TCPTransport) serve(c net.Conn) {
	defer t.wg.Done()
	defer t.untrack(c)
	from, kind, err := acceptHandshake(c, t.cfg.Secret, t.cfg.StoreID, t.cfg.DialTimeout)
	if err != nil {
		t.refused.Add(1)
		t.log.Warn("replication: refused peer", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	if kind == connSnapshot {
		if err := t.receiveSnapshot(c, r, from); err != nil {
			t.log.Warn("replication: snapshot receive", "from", from, "err", err)
		}
		return
	}
	var buf []byte
	for {
		var p []byte
		p, buf, err = readFrame(r, buf, t.cfg.MaxFrame)
		if err != nil {
			return
		}
		if len(p) == 0 || p[0] != frameMessages {
			t.log.Warn("replication: unexpected frame", "from", from)
			return
		}
		envs, err := decodeMessages(p[1:], t.cfg.Shards)
		if err != nil {
			t.log.Warn("replication: bad frame", "from", from, "err", err)
			return
		}
		t.h.HandleMessages(from, envs)
	}
}

func (t *TCPTransport) receiveSnapshot(c net.Conn, r *bufio.Reader, from uint64) error {
	var kvs []KV
	var total int64
	var buf []byte
	for {
		p, nb, err := readFrame(r, buf, t.cfg.MaxFrame)
		buf = nb
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return fmt.Errorf("%w: empty frame", ErrCorrupt)
		}
		switch p[0] {
		case frameChunk:
			chunk, size, err := decodeChunk(p[1:])
			if err != nil {
				return err
			}
			if total += int64(size); total > t.cfg.MaxSnapshotBytes {
				return fmt.Errorf("%w: snapshot over %d bytes", ErrFrameTooLarge, t.cfg.MaxSnapshotBytes)
			}
			kvs = append(kvs, chunk...)
		case frameSnapMsg:
			d := decoder{p: p[1:]}
			shard := d.uvarint()
			if d.err != nil || shard >= uint64(t.cfg.Shards) {
				return fmt.Errorf("%w: snapshot shard", ErrCorrupt)
			}
			m := &pb.Message{}
			if err := proto.Unmarshal(d.p, m); err != nil || m.GetType() != pb.MsgSnap {
				return fmt.Errorf("%w: snapshot message", ErrCorrupt)
			}
			t.h.HandleSnapshot(from, uint32(shard), m, kvs)
			_, err := c.Write([]byte{1})
			return err
		default:
			return fmt.Errorf("%w: frame type %d in a snapshot", ErrCorrupt, p[0])
		}
	}
}

// SendSnapshot implements Transport: a connection of its own carries the
// chunks then the MsgSnap, and the receiver acks once it has handed them
// to its node.
func (t *TCPTransport) SendSnapshot(ctx context.Context, to uint64, shard uint32, msg *pb.Message, each func(yield func(k, v []byte) error) error) error {
	t.mu.Lock()
	p := t.peers[to]
	t.mu.Unlock()
	if p == nil {
		return fmt.Errorf("replication: no address for store %d", to)
	}
	c, err := t.dial(ctx, p, connSnapshot)
	if err != nil {
		return err
	}
	defer t.untrack(c)
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	w := bufio.NewWriterSize(c, 64<<10)
	var pairs []byte
	count := 0
	flush := func() error {
		if count == 0 {
			return nil
		}
		frame := appendFrame(nil, func(b []byte) []byte {
			b = append(b, frameChunk)
			b = binary.AppendUvarint(b, uint64(count))
			return append(b, pairs...)
		})
		pairs, count = pairs[:0], 0
		t.chunks.Add(1)
		_, err := w.Write(frame)
		return err
	}
	err = each(func(k, v []byte) error {
		if len(k)+len(v)+2*binary.MaxVarintLen64 > t.cfg.MaxFrame-64 {
			return fmt.Errorf("%w: snapshot key of %d bytes", ErrFrameTooLarge, len(k)+len(v))
		}
		if len(pairs)+len(k)+len(v) > t.cfg.SnapshotChunkBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		pairs = binary.AppendUvarint(pairs, uint64(len(k)))
		pairs = append(pairs, k...)
		pairs = binary.AppendUvarint(pairs, uint64(len(v)))
		pairs = append(pairs, v...)
		count++
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	mb, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	frame := appendFrame(nil, func(b []byte) []byte {
		b = append(b, frameSnapMsg)
		b = binary.AppendUvarint(b, uint64(shard))
		return append(b, mb...)
	})
	if _, err := w.Write(frame); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	ack := make([]byte, 1)
	if _, err := c.Read(ack); err != nil {
		return fmt.Errorf("replication: snapshot not acknowledged: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	t.snapshots.Add(1)
	return nil
}
