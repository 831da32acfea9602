package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// Chat: the live session. client.Session does the reconnecting, resyncing,
// gap filling and send retries; this prints and reads lines.

var chatCommands = []command{
	{name: "chat", args: "GROUP", min: 1, max: 1, conn: needToken,
		help: "interactive: print messages and notices as they come, send lines typed", run: cmdChat},
}

// cmdChat prints the group's recent and new messages, in seq order
// without duplicates or silent gaps, and notices; it sends every line
// typed. It ends at the end of its input or on a signal.
func cmdChat(x *cli) error {
	group := x.pos[0]
	var out struct {
		sync.Mutex
		stopped bool
	}
	print := func(s string) {
		out.Lock()
		if !out.stopped {
			fmt.Fprintln(x.out, s)
		}
		out.Unlock()
	}
	s, err := client.Connect(x.ctx, x.g.server, client.SessionOptions{
		Options: client.Options{Token: x.g.token, Name: cliName, OnNotice: func(n *wire.Notice) { print(formatNotice(n, group)) }},
		OnState: func(st client.State) {
			if st.Connected {
				print("* reconnected")
			} else {
				print("* connection lost: " + describe(st.Err) + "; reconnecting")
			}
		},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(x.ctx)
	var bg sync.WaitGroup
	defer func() { // stop the printer and the session, then print no more
		cancel()
		s.Close()
		bg.Wait()
		out.Lock()
		out.stopped = true
		out.Unlock()
	}()
	// Show the recent past, then everything after it.
	c, err := s.Conn(ctx)
	if err != nil {
		return err
	}
	h, err := c.History(ctx, wire.HistoryArgs{Group: group, Limit: 20})
	if err != nil {
		return err
	}
	var last uint64
	for _, m := range h.Msgs {
		print(formatMsg(m))
		last = m.Seq
	}
	sub, err := s.Subscribe(group, last)
	if err != nil {
		return err
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			ev, err := sub.Next(ctx)
			switch {
			case err != nil:
				return
			case ev.Gap != nil:
				print(fmt.Sprintf("* messages %d to %d are no longer available", ev.Gap.From, ev.Gap.To))
			default:
				print(formatMsg(ev.Msg))
			}
		}
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(x.in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			// The session retries with the same cmid: the server posts it once.
			if _, err := s.SendText(ctx, group, "", line); err != nil && ctx.Err() == nil {
				print("* not sent: " + describe(err))
			}
		}
	}
}
