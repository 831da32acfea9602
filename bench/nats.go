package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

// FindNatsServer returns the nats-server binary to use, or "" if none is
// installed.
func FindNatsServer(hint string) string {
	if hint != "" {
		if _, err := os.Stat(hint); err == nil {
			return hint
		}
		return ""
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// natsServer is a nats-server child process on a free loopback port.
type natsServer struct {
	cmd *exec.Cmd
	url string
	dir string
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startNats(ctx context.Context, bin string, jetstream bool) (*natsServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port)}
	s := &natsServer{url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	if jetstream {
		if s.dir, err = os.MkdirTemp("", "qunbench-js-"); err != nil {
			return nil, err
		}
		args = append(args, "-js", "-sd", s.dir)
	}
	s.cmd = exec.Command(bin, args...)
	if err := s.cmd.Start(); err != nil {
		s.close()
		return nil, fmt.Errorf("start nats-server: %w", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.close()
			return nil, fmt.Errorf("nats-server did not listen on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

func (s *natsServer) pid() int { return s.cmd.Process.Pid }

func (s *natsServer) close() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// natsReader is the lean NATS reader: a plain subscription callback that
// reads the send time (and, for gaps, the sender and its message number)
// from the payload.
type natsReader struct {
	r    *reader
	m    *meter
	last []uint32 // by sender
	high int      // room: the gift sender's index, or -1
}

func (nr *natsReader) onMsg(msg *nats.Msg) {
	now := nr.m.now()
	ts, sender, seq, ok := parsePayload(msg.Data)
	if !ok {
		return
	}
	if sender >= len(nr.last) {
		nr.last = append(nr.last, make([]uint32, sender+1-len(nr.last))...)
	}
	if l := nr.last[sender]; l != 0 && seq > l+1 {
		nr.r.gaps.Add(1)
	}
	if seq > nr.last[sender] {
		nr.last[sender] = seq
	}
	nr.r.deliver(now, ts)
	if sender == nr.high {
		nr.r.deliverHigh(now, ts)
	}
}

// natsLoad is NATS core (or JetStream, for persist) as a loadTarget: the
// same connections, one subject per group, the same senders.
type natsLoad struct {
	bin       string
	jetstream bool
	srv       *natsServer
	peers     []*natsServer // the other servers of a cluster (Config.Cluster)
	cfg       *Config
	m         *meter
	sh        *shape
	conns     []*nats.Conn
	subjects  []string
	js        []nats.JetStreamContext
	counts    []int
	mu        []sync.Mutex
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	sems      []chan struct{}
	flushes   []chan struct{} // outstanding flushes per connection (at most 2)
}

func (n *natsLoad) name() string {
	if n.jetstream {
		return "nats-jetstream"
	}
	return "nats"
}
func (n *natsLoad) mode() string { return ModeProcess }
func (n *natsLoad) proc() proc {
	if n.srv == nil {
		return proc{pid: -1}
	}
	p := proc{pid: n.srv.pid()}
	for _, s := range n.peers {
		p.more = append(p.more, s.pid())
	}
	return p
}

// replicas is R of the JetStream stream.
func (n *natsLoad) replicas() int {
	if n.cfg != nil && n.cfg.Cluster > 1 {
		return ClusterReplicas(n.cfg.Cluster)
	}
	return 1
}

func (n *natsLoad) notes() []string {
	if n.jetstream && n.replicas() > 1 {
		return []string{fmt.Sprintf("NATS JetStream, file storage, a cluster of %d servers, streams of %d replicas, clients spread over the servers: an ack waits for a quorum, not for fsync (JetStream syncs every 2 min by default)", len(n.peers)+1, n.replicas())}
	}
	if n.jetstream {
		return []string{"NATS JetStream, file storage, one replica: an ack does not wait for fsync (JetStream syncs every 2 min by default)"}
	}
	return []string{"NATS core: a publish is counted when the client library accepts it (no server ack); server-closed connections count as slow consumers"}
}

func (n *natsLoad) connect(ctx context.Context, m *meter, i int) (*nats.Conn, error) {
	url := n.srv.url
	if k := i % (len(n.peers) + 1); k > 0 { // spread over a cluster's servers
		url = n.peers[k-1].url
	}
	return nats.Connect(url,
		nats.Name("qunbench"), nats.NoReconnect(), nats.Timeout(30*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if !m.running.Load() {
				return
			}
			if errors.Is(err, nats.ErrSlowConsumer) {
				m.slow.Add(1)
			} else {
				m.errs.Add(1)
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if m.running.Load() && err != nil {
				m.slow.Add(1)
			}
		}))
}

func (n *natsLoad) open(ctx context.Context, cfg *Config, sh *shape, m *meter) error {
	n.cfg, n.sh, n.m = cfg, sh, m
	if err := checkFDs(uint64(sh.conns+64), "the load generator"); err != nil {
		return err
	}
	if n.jetstream && cfg.Cluster > 1 {
		srvs, err := startNatsCluster(ctx, n.bin, cfg.Cluster)
		if err != nil {
			return err
		}
		n.srv, n.peers = srvs[0], srvs[1:]
	} else {
		srv, err := startNats(ctx, n.bin, n.jetstream)
		if err != nil {
			return err
		}
		n.srv = srv
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	prefix := runPrefix()
	n.subjects = make([]string, len(sh.groups))
	for g := range sh.groups {
		n.subjects[g] = "bench." + prefix[:len(prefix)-1] + ".g" + strconv.Itoa(g)
	}
	n.conns = make([]*nats.Conn, sh.conns)
	n.counts = make([]int, sh.conns)
	n.mu = make([]sync.Mutex, sh.conns)
	n.sems = make([]chan struct{}, sh.conns)
	n.flushes = make([]chan struct{}, sh.conns)
	subsOf := make([][]int, sh.conns)
	if sh.readers {
		for g, ms := range sh.groups {
			for _, c := range ms {
				subsOf[c] = append(subsOf[c], g)
			}
		}
	}
	err := forEach(ctx, sh.conns, 64, func(i int) error {
		nc, err := n.connect(ctx, m, i)
		if err != nil {
			return err
		}
		n.conns[i] = nc
		n.sems[i] = make(chan struct{}, cfg.Window)
		n.flushes[i] = make(chan struct{}, 2)
		for _, g := range subsOf[i] {
			nr := &natsReader{r: m.newReader(), m: m, high: -1}
			if sh.room {
				nr.high = sh.highSender
			}
			if _, err := nc.Subscribe(n.subjects[g], nr.onMsg); err != nil {
				return err
			}
		}
		return nc.FlushTimeout(30 * time.Second)
	})
	if err != nil {
		return err
	}
	if n.jetstream {
		n.js = make([]nats.JetStreamContext, sh.conns)
		for i, nc := range n.conns {
			js, err := nc.JetStream(nats.PublishAsyncMaxPending(cfg.Window * 2))
			if err != nil {
				return err
			}
			n.js[i] = js
		}
		// A cluster elects its JetStream meta leader after the routes
		// connect: retry until the stream exists, bounded.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := n.js[0].AddStream(&nats.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Storage: nats.FileStorage, Replicas: n.replicas()})
			if err == nil {
				break
			}
			if n.replicas() == 1 || time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("jetstream stream: %w", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

type natsSide struct {
	n *natsLoad
	j int
}

func (n *natsLoad) sender(j int) sendSide { return &natsSide{n: n, j: j} }

func (s *natsSide) send(gi, conn int, payload []byte, sent int64) bool {
	n := s.n
	if n.ctx.Err() != nil {
		return false
	}
	if n.jetstream {
		return s.sendJS(gi, conn, payload, sent)
	}
	nc := n.conns[conn]
	if err := nc.Publish(n.subjects[gi], payload); err != nil {
		n.m.sendErrs.Add(1)
		return true
	}
	n.m.ack(n.m.now(), sent, false, s.j)
	if n.sh.rate == 0 {
		// Saturation: at most Window messages per connection are not yet
		// confirmed by a PING/PONG round trip (a flush every Window/2
		// messages, at most two flushes outstanding), as Qun's window of
		// in-flight acks bounds a Qun connection.
		n.mu[conn].Lock()
		n.counts[conn]++
		flush := n.counts[conn]%max(n.cfg.Window/2, 1) == 0
		n.mu[conn].Unlock()
		if flush {
			select {
			case n.flushes[conn] <- struct{}{}:
			case <-n.ctx.Done():
				return false
			}
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				if err := nc.FlushTimeout(10 * time.Second); err != nil && n.ctx.Err() == nil {
					n.m.errs.Add(1)
				}
				<-n.flushes[conn]
			}()
		}
	}
	return true
}

// sendJS publishes asynchronously with a window of unacknowledged
// messages per connection, like Qun's durable sends.
func (s *natsSide) sendJS(gi, conn int, payload []byte, sent int64) bool {
	n := s.n
	select {
	case n.sems[conn] <- struct{}{}:
	case <-n.ctx.Done():
		return false
	}
	data := append([]byte(nil), payload...)
	f, err := n.js[conn].PublishAsync(n.subjects[gi], data)
	if err != nil {
		<-n.sems[conn]
		n.m.sendErrs.Add(1)
		return true
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer func() { <-n.sems[conn] }()
		select {
		case <-f.Ok():
			n.m.ack(n.m.now(), sent, n.sh.ackLatency, s.j)
		case <-f.Err():
			if n.ctx.Err() == nil {
				n.m.sendErrs.Add(1)
			}
		case <-n.ctx.Done():
		}
	}()
	return true
}

func (s *natsSide) wait(d time.Duration) { waitGroupTimeout(&s.n.wg, d) }

func (n *natsLoad) close() {
	if n.cancel != nil {
		n.cancel()
	}
	if n.m != nil {
		n.m.running.Store(false)
	}
	waitGroupTimeout(&n.wg, 10*time.Second)
	var wg sync.WaitGroup
	for _, nc := range n.conns {
		if nc != nil {
			wg.Add(1)
			go func() { defer wg.Done(); nc.Close() }()
		}
	}
	wg.Wait()
	if n.srv != nil {
		n.srv.close()
	}
	for _, s := range n.peers {
		s.close()
	}
}
