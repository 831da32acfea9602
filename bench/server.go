package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/engine"
)

// Server modes.
const (
	ModeInProcess = "in-process"
	ModeSpawn     = "spawn"
	ModeExternal  = "external"
	ModeProcess   = "process" // a peer in its own process
)

// MaxMembers is the member limit of groups in a server qunbench starts
// (a 10 000-member room needs far more than the default 200).
const MaxMembers = 1 << 20

// serverConfig is the engine configuration qunbench uses for a server it
// starts, in-process or as a child: the defaults (durable Pebble store)
// except a loopback listener on a free port, the member limit, and no
// friend or tier limits on creating groups.
func serverConfig(dir string, secret []byte, metrics prometheus.Registerer, repl replOpts) engine.Config {
	cfg := engine.DefaultConfig()
	cfg.Metrics = metrics // nil: off
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Secret = secret
	repl.apply(&cfg)
	cfg.Group.MaxMembers = MaxMembers
	// No host social graph or account tiers in a benchmark: anyone may
	// create as many groups, of any size, as the scenario needs.
	cfg.CreateMinFriends = 0
	cfg.DefaultTier = engine.Tier{MaxOwnedGroups: MaxMembers, MaxMembers: MaxMembers}
	cfg.Limits = engine.UnlimitedLimits() // a benchmark's clients are its own
	return cfg
}

// serverStats are what a server reports about itself.
type serverStats struct {
	HeapInuse  int64 `json:"heap_inuse"`
	StackInuse int64 `json:"stack_inuse"`
	Goroutines int   `json:"goroutines"`
	RSS        int64 `json:"rss"`
	Conns      int   `json:"conns"`
	Slow       int64 `json:"slow"`
	Fsyncs     int64 `json:"fsyncs"`
	Events     int64 `json:"events"`
}

// qunServer is a Qun node the run talks to.
type qunServer struct {
	addr   string
	secret []byte
	mode   string
	proc   proc
	eng    *engine.Engine // in-process
	dir    string         // temp data dir we own
	cmd    *exec.Cmd      // spawn
	ctlIn  io.WriteCloser
	ctlOut *bufio.Reader
	prof   *os.File
	// metrics: the server registers its Prometheus series (Config.Metrics).
	metrics bool
	// peers are the other nodes of a spawned cluster (Config.Cluster);
	// addrs are every node's client address, this one first.
	peers []*qunServer
	addrs []string
}

// addrFor is the node client i connects to: spread over a cluster's nodes.
func (s *qunServer) addrFor(i int) string {
	if len(s.addrs) > 1 {
		return s.addrs[i%len(s.addrs)]
	}
	return s.addr
}

func startQun(ctx context.Context, cfg *Config) (*qunServer, error) {
	if cfg.Server != "" {
		return &qunServer{addr: cfg.Server, secret: []byte(cfg.Secret), mode: ModeExternal, proc: proc{pid: -1}}, nil
	}
	dir, err := os.MkdirTemp("", "qunbench-")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := []byte(hex.EncodeToString(raw))
	s := &qunServer{secret: secret, dir: dir, metrics: cfg.Metrics}
	if cfg.Cluster > 1 {
		err = s.spawnCluster(ctx, cfg)
	} else if cfg.Spawn {
		err = s.spawn(ctx, replOpts{})
	} else {
		s.mode = ModeInProcess
		var reg prometheus.Registerer
		if cfg.Metrics {
			reg = prometheus.NewRegistry()
		}
		s.eng, err = engine.New(serverConfig(dir, secret, reg, replOpts{}))
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			err = s.eng.Start(sctx)
			cancel()
		}
		if err == nil {
			s.addr = s.eng.Addr().String()
		}
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// childEnv carries the child server's settings; its presence makes the
// process a server (see MaybeServeChild).
const childEnv = "QUNBENCH_SERVE"

type childSpec struct {
	Dir     string   `json:"dir"`
	Secret  string   `json:"secret"`
	Metrics bool     `json:"metrics"`
	Repl    replOpts `json:"repl"`
}

func (s *qunServer) spawn(ctx context.Context, repl replOpts) error {
	if err := s.spawnStart(repl); err != nil {
		return err
	}
	return s.awaitListening(ctx)
}

// spawnStart starts the child server process.
func (s *qunServer) spawnStart(repl replOpts) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	spec, _ := json.Marshal(childSpec{Dir: s.dir, Secret: string(s.secret), Metrics: s.metrics, Repl: repl})
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("spawn server: %w", err)
	}
	s.cmd, s.ctlIn, s.ctlOut, s.mode, s.proc = cmd, in, bufio.NewReader(out), ModeSpawn, proc{pid: cmd.Process.Pid}
	return nil
}

// awaitListening reads the child's first line: its client address.
func (s *qunServer) awaitListening(ctx context.Context) error {
	line, err := s.readLine(ctx, 2*time.Minute)
	if err != nil {
		return fmt.Errorf("spawned server did not start: %w", err)
	}
	if !strings.HasPrefix(line, "listening ") {
		return fmt.Errorf("spawned server: %s", line)
	}
	s.addr = strings.TrimPrefix(line, "listening ")
	return nil
}

func (s *qunServer) readLine(ctx context.Context, d time.Duration) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := s.ctlOut.ReadString('\n')
		ch <- res{strings.TrimSpace(l), err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-time.After(d):
		return "", errors.New("timed out")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// control sends one command to a spawned server and returns its answer.
func (s *qunServer) control(cmd string) (string, error) {
	if s.cmd == nil {
		return "", errors.New("not a spawned server")
	}
	if _, err := io.WriteString(s.ctlIn, cmd+"\n"); err != nil {
		return "", err
	}
	return s.readLine(context.Background(), 30*time.Second)
}

// stats asks the server about itself; gc first collects garbage and
// returns freed memory to the OS (for idle-memory figures).
func (s *qunServer) stats(gc bool) (serverStats, error) {
	switch s.mode {
	case ModeInProcess:
		return localStats(s.eng, gc), nil
	case ModeSpawn:
		if len(s.peers) > 0 {
			return s.clusterStats(gc)
		}
		c := "stats"
		if gc {
			c = "mem"
		}
		line, err := s.control(c)
		if err != nil {
			return serverStats{}, err
		}
		var st serverStats
		err = json.Unmarshal([]byte(line), &st)
		return st, err
	}
	return serverStats{}, errors.New("no stats from an external server")
}

func localStats(e *engine.Engine, gc bool) serverStats {
	if gc {
		runtime.GC()
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := serverStats{HeapInuse: int64(ms.HeapInuse), StackInuse: int64(ms.StackInuse), Goroutines: runtime.NumGoroutine(), RSS: proc{}.status("VmRSS")}
	if e != nil {
		es := e.Stats()
		st.Conns, st.Slow, st.Fsyncs, st.Events = es.Conns, es.SlowConsumer, int64(es.Store.Fsyncs), int64(es.Store.Events)
	}
	return st
}

// startProfile starts a CPU profile of the server (in-process: of this
// whole process).
func (s *qunServer) startProfile(path string) error {
	switch s.mode {
	case ModeSpawn:
		_, err := s.control("profile-start " + path)
		for i, p := range s.peers {
			if err == nil {
				_, err = p.control(fmt.Sprintf("profile-start %s.node%d", path, i+1))
			}
		}
		return err
	case ModeInProcess:
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		s.prof = f
		return nil
	}
	return errors.New("cannot profile an external server")
}

func (s *qunServer) stopProfile() {
	switch s.mode {
	case ModeSpawn:
		_, _ = s.control("profile-stop")
		for _, p := range s.peers {
			_, _ = p.control("profile-stop")
		}
	case ModeInProcess:
		if s.prof != nil {
			pprof.StopCPUProfile()
			s.prof.Close()
			s.prof = nil
		}
	}
}

func (s *qunServer) token(user string) (string, error) {
	return engine.MintToken(s.secret, user, 24*time.Hour)
}

func (s *qunServer) close() {
	for _, p := range s.peers {
		p.close()
	}
	if s.eng != nil {
		_ = s.eng.Close()
	}
	if s.cmd != nil {
		_, _ = io.WriteString(s.ctlIn, "quit\n")
		_ = s.ctlIn.Close()
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// MaybeServeChild turns this process into a spawned Qun server when it was
// started as one by a run with Spawn (the environment says so); it then
// never returns. Call it first thing in main (and in TestMain).
func MaybeServeChild() {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	os.Exit(serveChild(spec))
}

func serveChild(spec string) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Println("error bad spec:", err)
		return 2
	}
	_, _, _ = FDLimit()
	signal.Ignore(syscall.SIGINT) // the parent's ^C reaches us too: the parent closes us
	var reg *prometheus.Registry
	if cs.Metrics {
		// Registered and scraped once a second, as a Prometheus would.
		reg = prometheus.NewRegistry()
		go func() {
			for range time.Tick(time.Second) {
				_, _ = reg.Gather()
			}
		}()
	}
	var rr prometheus.Registerer
	if reg != nil {
		rr = reg
	}
	e, err := engine.New(serverConfig(cs.Dir, []byte(cs.Secret), rr, cs.Repl))
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = e.Start(ctx)
		cancel()
	}
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("listening", e.Addr().String())
	in := bufio.NewScanner(os.Stdin)
	var prof *os.File
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "stats", "mem":
			b, _ := json.Marshal(localStats(e, f[0] == "mem"))
			fmt.Println(string(b))
		case "profile-start":
			if len(f) < 2 {
				fmt.Println("error path")
				continue
			}
			pf, err := os.Create(f[1])
			if err == nil {
				err = pprof.StartCPUProfile(pf)
			}
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			prof = pf
			fmt.Println("ok")
		case "profile-stop":
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
				prof = nil
			}
			fmt.Println("ok")
		case "leaders":
			fmt.Println(leadersLine(e))
		case "quit":
			_ = e.Close()
			fmt.Println("bye")
			return 0
		}
	}
	_ = e.Close() // stdin closed: the parent is gone
	return 0
}
