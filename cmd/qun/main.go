// Command qun is Qun's command-line client.
//
//	qun token alice                 # prints a token (reads ./qun-data/secret)
//	export QUN_TOKEN=$(qun token alice)
//	qun create "weekend hikes"      # prints the new group id
//	qun join GROUP
//	qun send GROUP hello everyone   # prints the seq once the message is durable
//	qun history GROUP --limit 20
//	qun groups
//	qun chat GROUP                  # live: prints messages, sends each line typed
//
// Global flags (before or after the subcommand): --server ADDR (QUN_SERVER,
// default 127.0.0.1:7400) and --token T (QUN_TOKEN). Errors print one line
// and exit non-zero.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

const usage = `usage: qun [--server ADDR] [--token T] COMMAND [ARGS]

commands:
  token USER [--data DIR] [--ttl D]   print a token for USER, signed with DIR/secret
  create NAME                         create a group; prints its id
  join GROUP                          join an open group
  leave GROUP                         leave a group
  send GROUP TEXT...                  send a message; prints its seq once durable
  history GROUP [--after SEQ] [--before SEQ] [--limit N]
                                      print messages, one per line: SEQ SENDER TEXT
  members GROUP                       list members: USER ROLE
  info GROUP                          describe a group
  groups                              my groups with unread counts
  read GROUP SEQ                      mark messages up to SEQ read
  chat GROUP                          interactive: print messages as they come, send lines typed

environment: QUN_SERVER, QUN_TOKEN, QUN_DATA, QUN_SECRET
`

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qun:", describe(err))
	}
	os.Exit(code)
}

// describe turns an error into one clear line.
func describe(err error) string {
	var we *wire.Error
	if errors.As(err, &we) {
		return fmt.Sprintf("%s (code %d %s)", we.Msg, uint16(we.Code), we.Code)
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "server did not answer in time: " + err.Error()
	}
	if strings.Contains(err.Error(), "connection refused") {
		return "cannot reach the server (is qund running?): " + err.Error()
	}
	return err.Error()
}

type globals struct {
	server, token string
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// newFlags makes a flag set that also accepts the global flags, so they may
// stand before or after the subcommand.
func newFlags(name string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.server, "server", g.server, "server address")
	fs.StringVar(&g.token, "token", g.token, "token")
	return fs
}

// parse parses flags placed anywhere among the arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	g := &globals{server: env("QUN_SERVER", "127.0.0.1:7400"), token: os.Getenv("QUN_TOKEN")}
	top := newFlags("qun", g)
	if err := top.Parse(args); err != nil {
		return 2, fmt.Errorf("%v\n%s", err, usage)
	}
	rest := top.Args()
	if len(rest) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2, nil
	}
	cmd, rest := rest[0], rest[1:]
	fs := newFlags(cmd, g)
	var (
		data   = fs.String("data", env("QUN_DATA", "qun-data"), "data directory holding the secret")
		secret = fs.String("secret", os.Getenv("QUN_SECRET"), "token secret (instead of --data)")
		ttl    = fs.Duration("ttl", 30*24*time.Hour, "token lifetime")
		after  = fs.Uint64("after", 0, "messages after this seq")
		before = fs.Uint64("before", 0, "messages before this seq")
		limit  = fs.Int("limit", 50, "page size")
	)
	pos, err := parse(fs, rest)
	if err != nil {
		return 2, fmt.Errorf("%s: %v", cmd, err)
	}
	need := func(n int, what string) error {
		if len(pos) < n {
			return fmt.Errorf("usage: qun %s %s", cmd, what)
		}
		return nil
	}
	if cmd == "token" {
		if err := need(1, "USER"); err != nil {
			return 2, err
		}
		key := []byte(*secret)
		if len(key) == 0 {
			b, err := os.ReadFile(*data + "/" + engine.SecretFile)
			if err != nil {
				return 1, fmt.Errorf("no secret: %v (start qund once, or pass --data DIR / --secret)", err)
			}
			key = []byte(strings.TrimSpace(string(b)))
		}
		tok, err := engine.MintToken(key, pos[0], *ttl)
		if err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, tok)
		return 0, nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return 0, nil
	}
	if g.token == "" {
		return 2, errors.New("no token: pass --token or set QUN_TOKEN (qun token USER prints one)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "chat" {
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		return chat(ctx, g, pos[0], stdin, stdout)
	}
	c, err := client.Dial(ctx, g.server, client.Options{Token: g.token, Name: "qun-cli/1"})
	if err != nil {
		return 1, err
	}
	defer c.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch cmd {
	case "create":
		if err := need(1, "NAME"); err != nil {
			return 2, err
		}
		id, err := c.CreateGroup(rctx, strings.Join(pos, " "))
		if err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, id)
	case "join":
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		r, err := c.Join(rctx, pos[0])
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "joined %s (%s)\n", pos[0], r.Name)
	case "leave":
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		if err := c.Leave(rctx, pos[0]); err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "left %s\n", pos[0])
	case "send":
		if err := need(2, "GROUP TEXT..."); err != nil {
			return 2, err
		}
		r, err := c.SendText(rctx, pos[0], newCMID(), strings.Join(pos[1:], " "))
		if err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, r.Seq)
	case "history":
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		ha := wire.HistoryArgs{Group: pos[0], Before: *before, Limit: *limit}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "after" {
				ha.After = wire.After(*after)
			}
		})
		h, err := c.History(rctx, ha)
		if err != nil {
			return 1, err
		}
		for _, m := range h.Msgs {
			fmt.Fprintln(stdout, formatMsg(m))
		}
	case "members":
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		next := ""
		for {
			r, err := c.Members(rctx, wire.MembersArgs{Group: pos[0], After: next})
			if err != nil {
				return 1, err
			}
			for _, m := range r.Members {
				fmt.Fprintf(stdout, "%s %s\n", m.User, m.Role)
			}
			if next = r.Next; next == "" {
				break
			}
		}
	case "info":
		if err := need(1, "GROUP"); err != nil {
			return 2, err
		}
		i, err := c.GroupInfo(rctx, pos[0])
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "group %s\nname %s\nowner %s\nmembers %d/%d\nlast_seq %d\n", i.Group, i.Name, i.Owner, i.Members, i.MaxMember, i.LastSeq)
	case "groups":
		gs, err := c.MyGroups(rctx)
		if err != nil {
			return 1, err
		}
		for _, mg := range gs {
			pin := ""
			if mg.Pinned {
				pin = " [pinned]"
			}
			fmt.Fprintf(stdout, "%s %s unread=%d last_seq=%d%s\n", mg.Group, mg.Name, mg.Unread, mg.LastSeq, pin)
		}
	case "read":
		if err := need(2, "GROUP SEQ"); err != nil {
			return 2, err
		}
		var seq uint64
		if _, err := fmt.Sscan(pos[1], &seq); err != nil {
			return 2, fmt.Errorf("bad seq %q", pos[1])
		}
		if err := c.MarkRead(rctx, pos[0], seq); err != nil {
			return 1, err
		}
	default:
		return 2, fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	return 0, nil
}

func newCMID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// formatMsg prints SEQ SENDER TEXT.
func formatMsg(m wire.Message) string {
	switch {
	case m.Body.Text != nil:
		return fmt.Sprintf("%d %s %s", m.Seq, m.Sender, m.Body.Text.Text)
	case m.Body.System != nil:
		s := m.Body.System
		text := "* " + s.Event
		if s.Target != "" && s.Target != s.Actor {
			text += " " + s.Target
		}
		if s.Text != "" {
			text += " " + s.Text
		}
		who := s.Actor
		if who == "" {
			who = "-"
		}
		return fmt.Sprintf("%d %s %s", m.Seq, who, text)
	}
	return fmt.Sprintf("%d %s [message type %d]", m.Seq, m.Sender, m.Type)
}

// chat prints the group's messages as they arrive, in seq order without
// duplicates or silent gaps, and sends every line typed. It reconnects and
// resyncs when the connection drops.
func chat(ctx context.Context, g *globals, group string, stdin io.Reader, stdout io.Writer) (int, error) {
	var outMu sync.Mutex
	print := func(s string) {
		outMu.Lock()
		fmt.Fprintln(stdout, s)
		outMu.Unlock()
	}
	tr := client.NewTracker()
	var cur struct {
		sync.Mutex
		c *client.Client
	}
	// fill fetches history after the tracker's last seq and prints it.
	var fillMu sync.Mutex
	fill := func(c *client.Client) {
		fillMu.Lock()
		defer fillMu.Unlock()
		for i := 0; i < 1000; i++ {
			last := tr.Last()[group]
			h, err := c.History(ctx, wire.HistoryArgs{Group: group, After: wire.After(last), Limit: 200})
			if err != nil || len(h.Msgs) == 0 {
				return
			}
			for _, m := range h.Msgs {
				if v, _ := tr.Observe(group, m.Seq); v == client.Deliver {
					print(formatMsg(m))
				}
			}
			if !h.More {
				return
			}
		}
	}
	connect := func() (*client.Client, error) {
		var c *client.Client
		var err error
		c, err = client.Dial(ctx, g.server, client.Options{Token: g.token, Name: "qun-cli/1",
			OnPush: func(p *wire.Push) {
				if p.Group != group {
					return
				}
				for _, m := range p.Msgs {
					switch v, _ := tr.Observe(group, m.Seq); v {
					case client.Deliver:
						print(formatMsg(m))
					case client.Gap:
						go fill(c)
						return
					}
				}
			},
			OnGap: func(gp *wire.Gap) {
				if gp.Group == group {
					go fill(c)
				}
			},
		})
		return c, err
	}
	c, err := connect()
	if err != nil {
		return 1, err
	}
	// Show the recent past, then everything live.
	h, err := c.History(ctx, wire.HistoryArgs{Group: group, Limit: 20})
	if err != nil {
		c.Close()
		return 1, err
	}
	for _, m := range h.Msgs {
		if v, _ := tr.Observe(group, m.Seq); v == client.Deliver {
			print(formatMsg(m))
		}
	}
	fill(c)
	cur.c = c
	// Reconnect loop.
	go func() {
		for {
			cur.Lock()
			cc := cur.c
			cur.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-cc.Done():
			}
			print("* connection lost: " + describe(errOr(cc.Err())) + "; reconnecting")
			for attempt := 0; ctx.Err() == nil; attempt++ {
				nc, err := connect()
				if err == nil {
					_, _ = nc.Resync(ctx, map[string]uint64{group: tr.Last()[group]})
					cur.Lock()
					cur.c = nc
					cur.Unlock()
					print("* reconnected")
					break
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff(attempt)):
				}
			}
		}
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			cur.Lock()
			cur.c.Close()
			cur.Unlock()
			return 0, nil
		case line, ok := <-lines:
			if !ok {
				cur.Lock()
				cur.c.Close()
				cur.Unlock()
				return 0, nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			cmid := newCMID()
			// Retry the same cmid across reconnects: the server posts it once.
			for attempt := 0; attempt < 10; attempt++ {
				cur.Lock()
				cc := cur.c
				cur.Unlock()
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := cc.SendText(rctx, group, cmid, line)
				cancel()
				if err == nil {
					break
				}
				var we *wire.Error
				if errors.As(err, &we) && we.Code != wire.CodeTimeout && we.Code != wire.CodeUnavailable && we.Code != wire.CodeSlowConsumer && we.Code != wire.CodeShuttingDown {
					print("* not sent: " + describe(err))
					break
				}
				time.Sleep(backoff(attempt))
			}
		}
	}
}

func errOr(err error) error {
	if err == nil {
		return errors.New("closed")
	}
	return err
}

func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 5)
	return d
}
