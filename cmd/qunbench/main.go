// Command qunbench is Qun's load generator. It measures a Qun node and,
// with --vs nats, nats-server under the same load in the same run.
//
//	qunbench fanout --members 1000 --duration 10s --vs nats --json
//	qunbench fanout --members 100 --rate 2000 --vs nats      # paced: 200 k deliveries/s
//	qunbench groups --groups 100 --members 20 --users 500 --rate 10
//	qunbench room --members 10000 --rate 20 --spawn
//	qunbench connect --conns 5000 --rate 1000 --join 1 --spawn --vs nats
//	qunbench resync --conns 500 --groups 4 --missed 100
//	qunbench persist --groups 1000 --senders 16 --vs nats
//	qunbench persist --groups 100 --spawn                   # a lone node: R = 1
//	qunbench persist --cluster 3 --vs nats-js               # 3 replicated nodes (R = 3) vs JetStream R3
//	qunbench fanout --vs nats --html report.html   # plots: latency percentiles, deliveries/s over time
//
// By default the server runs in this process with its data in a temporary
// directory (durable Pebble store); --spawn runs it as a child process so
// that its CPU and memory are measured alone; --server ADDR (with --secret)
// uses a running qund. A live progress line goes to stderr; the result goes
// to stdout as a table, or with --json as one JSON object.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/qunchat/qun/bench"
)

const usage = `usage: qunbench SCENARIO [flags]

scenarios:
  fanout    one group of --members online members, --rate msgs/s from --senders
  groups    --groups groups of --members drawn from --users connections, --rate per group
  room      one very large group (default 10 000 members) at --rate msgs/s
  connect   --conns connections opened at --rate/s, each joins --join groups
  resync    --conns clients reconnect at once and catch up on --missed msgs per group
  persist   durable sends/s across --groups groups, no readers

--rate 0 means as fast as possible (closed loop, --window sends in flight per connection).

flags:
`

func main() {
	bench.MaybeServeChild() // a --spawn child runs the server and never returns
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qunbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var cfg bench.Config
	fs.IntVar(&cfg.Members, "members", 0, "members per group (fanout 100, room 10000, groups 20)")
	fs.Float64Var(&cfg.Rate, "rate", -1, "messages/s total (fanout, room, persist), per group (groups), connections/s (connect); 0 = saturation; default: fanout/persist 0, room 20, groups 10, connect 500")
	fs.IntVar(&cfg.Senders, "senders", 0, "sending connections (fanout/room 1, groups 8, persist 16)")
	fs.IntVar(&cfg.Groups, "groups", 0, "groups (groups 100, persist 1000, resync 4)")
	fs.IntVar(&cfg.Users, "users", 0, "user connections the groups draw from (groups 500)")
	fs.IntVar(&cfg.Conns, "conns", 0, "connections (connect 1000, resync 500)")
	fs.IntVar(&cfg.Join, "join", 1, "groups each connection joins (connect)")
	fs.IntVar(&cfg.Missed, "missed", 0, "messages per group sent while resync clients are away (100)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured window of each round")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "warm-up before each window, not counted")
	fs.IntVar(&cfg.Payload, "payload", 100, "message size in bytes")
	fs.IntVar(&cfg.Window, "window", 200, "unacknowledged sends per connection (saturation; Qun's limit is 256)")
	fs.IntVar(&cfg.MergeWindowMS, "windows", 0, "room: the room's merge window in ms (0 = server default 50, -1 = off)")
	fs.Float64Var(&cfg.Gifts, "gifts", 0, "room: gifts (high priority) per second alongside the chatter; reported per priority")
	fs.BoolVar(&cfg.NoCMID, "no-cmid", false, "send without client message ids (isolates the server's dedup cost)")
	fs.StringVar(&cfg.Server, "server", "", "address of a running qund (default: start one)")
	fs.StringVar(&cfg.Secret, "secret", os.Getenv("QUN_SECRET"), "token secret of --server (QUN_SECRET)")
	fs.BoolVar(&cfg.Spawn, "spawn", false, "run the started server as a child process (its CPU and memory measured alone)")
	fs.BoolVar(&cfg.Metrics, "metrics", false, "the started server keeps its Prometheus metrics (and, with --spawn, gathers them every second)")
	fs.StringVar(&cfg.Vs, "vs", "", `peer to measure in the same run: "nats" (JetStream for persist), or "nats-js" (persist: JetStream, file storage, async publish with acks)`)
	fs.IntVar(&cfg.Rounds, "rounds", 0, "rounds per system, interleaved with the peer (default 2 with --vs, else 1)")
	fs.StringVar(&cfg.NatsServer, "nats-server", "", "nats-server binary (default: PATH, /usr/sbin)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of this process during the last Qun window (in-process: server and load generator)")
	fs.StringVar(&cfg.ServerProfile, "server-cpuprofile", "", "with --spawn: the server writes a CPU profile of the last Qun window here (--cluster: node 0 here, node N to FILE.nodeN)")
	fs.IntVar(&cfg.Cluster, "cluster", 0, "persist: spawn this many qund nodes with replication (R = 3) on loopback and spread the clients over them")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	quiet := fs.Bool("quiet", false, "no progress line")
	htmlOut := fs.String("html", "", "also write a self-contained HTML report of the run to this file (latency percentile and throughput plots, the figures)")

	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	cfg.Scenario = args[0]
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "qunbench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	var htmlFile *os.File
	if *htmlOut != "" { // create it first: fail before a long run, not after
		f, err := os.Create(*htmlOut)
		if err != nil {
			fmt.Fprintln(stderr, "qunbench:", err)
			return 1
		}
		htmlFile = f
		defer htmlFile.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "qunbench:", err)
		return 1
	}
	if htmlFile != nil {
		if err := writeHTML(htmlFile, rep); err != nil {
			fmt.Fprintln(stderr, "qunbench:", err)
			return 1
		}
		if !*quiet {
			fmt.Fprintf(stderr, "qunbench: wrote %s\n", *htmlOut)
		}
	}
	if *asJSON {
		if err := rep.JSON(stdout); err != nil {
			fmt.Fprintln(stderr, "qunbench:", err)
			return 1
		}
		return 0
	}
	rep.Table(stdout)
	return 0
}

func writeHTML(f *os.File, rep *bench.Report) error {
	if err := rep.HTML(f); err != nil {
		return err
	}
	return f.Close()
}
