package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// Live rooms: qun room open|close|watch|send|slow|window.

var roomCommands = []command{
	{name: "room", args: "open STREAM [NAME] | close ROOM | watch ROOM | send ROOM chatter|normal|high TEXT... | slow ROOM SECONDS | window ROOM MS",
		min: 2, max: -1, conn: needToken,
		help: "live rooms: open a stream's room, watch it (merged frames, online count), post in a lane, end it", run: cmdRoom}}

func cmdRoom(x *cli) error {
	sub, pos := x.pos[0], x.pos[1:]
	if sub == "watch" {
		if len(pos) != 1 {
			return usageError{"usage: qun room watch ROOM"}
		}
		return roomWatch(x, pos[0])
	}
	need := map[string]int{"open": 1, "close": 1, "send": 3, "slow": 2, "window": 2}[sub]
	if need == 0 {
		return usageError{"usage: qun room open|close|watch|send|slow|window ..."}
	}
	if len(pos) < need {
		return usageError{"usage: qun room " + sub + " ... (qun help)"}
	}
	ctx, cancel := context.WithTimeout(x.ctx, 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, x.g.server, client.Options{Token: x.g.token, Name: cliName})
	if err != nil {
		return err
	}
	defer c.Close()
	switch sub {
	case "open":
		name := ""
		if len(pos) > 1 {
			name = pos[1]
		}
		r, err := c.OpenRoom(ctx, pos[0], name, nil)
		if err != nil {
			return err
		}
		x.printf("%s\n", r.Room)
	case "close":
		s, err := c.CloseRoom(ctx, pos[0])
		if err != nil {
			return err
		}
		x.printf("closed %s (seq %d)\n", pos[0], s)
	case "send":
		lane, ok := map[string]wire.Lane{"chatter": wire.LaneChatter, "normal": wire.LaneNormal, "high": wire.LaneHigh}[pos[1]]
		if !ok {
			return usageError{"lane must be chatter, normal or high"}
		}
		x.pos = pos
		r, err := c.RoomSend(ctx, pos[0], client.NewCMID(), x.rest(2), lane)
		if err != nil {
			return err
		}
		x.printf("%d\n", r.Seq)
	case "slow", "window":
		n, err := strconv.Atoi(pos[1])
		if err != nil || n < 0 {
			return usageError{sub + " takes a number >= 0"}
		}
		var s uint64
		if sub == "slow" {
			s, err = c.RoomConfig(ctx, pos[0], nil, &n)
		} else {
			s, err = c.RoomConfig(ctx, pos[0], &n, nil)
		}
		if err != nil {
			return err
		}
		x.printf("%s of %s set to %d (seq %d)\n", sub, pos[0], n, s)
	}
	return nil
}

// roomWatch prints each merged frame's messages with their lane, and what
// the frame says (skipped chatter, online count), until interrupted.
func roomWatch(x *cli, room string) error {
	var mu sync.Mutex
	print := func(s string) { mu.Lock(); fmt.Fprintln(x.out, s); mu.Unlock() }
	c, err := client.Dial(x.ctx, x.g.server, client.Options{Token: x.g.token, Name: cliName,
		OnRoomPush: func(p *wire.RoomPush) {
			line := fmt.Sprintf("* frame: %d messages", len(p.Msgs))
			if p.Skipped > 0 {
				line += fmt.Sprintf(", %d chatter skipped", p.Skipped)
			}
			if p.Online > 0 {
				line += fmt.Sprintf(", %d online", p.Online)
			}
			print(line)
			for _, m := range p.Msgs {
				print(fmt.Sprintf("  [%s] %s", m.Lane, formatMsg(m)))
			}
		},
		OnPush: func(p *wire.Push) {
			for _, m := range p.Msgs {
				print(fmt.Sprintf("  [%s] %s", m.Lane, formatMsg(m)))
			}
		},
		OnGap: func(g *wire.Gap) { print(fmt.Sprintf("* chatter %d to %d is no longer retained", g.From, g.To)) },
	})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(x.ctx, 30*time.Second)
	info, err := c.WatchRoom(ctx, room, nil)
	cancel()
	if err != nil {
		return err
	}
	print(fmt.Sprintf("* watching %s (%s, owner %s): %d online, window %d ms, last seq %d", info.Room, info.Name, info.Owner, info.Online, info.WindowMS, info.LastSeq))
	select {
	case <-x.ctx.Done():
		return nil
	case <-c.Done():
		if err := c.Err(); err != nil {
			return err
		}
		return nil
	}
}
