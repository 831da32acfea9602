// Command embed runs a Qun engine inside another Go program: the host starts
// the engine, mints tokens for its own users, and talks to it through the
// same TCP protocol its apps use (here with the Go client).
//
//	go run ./examples/embed
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

func main() {
	dir, err := os.MkdirTemp("", "qun-embed-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0" // any free port
	cfg.DataDir = dir          // durable Pebble store
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e, err := engine.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	// The host knows its users; it mints a token for each app session.
	connect := func(user string, onPush func(*wire.Push)) *client.Client {
		tok, err := e.MintToken(user)
		if err != nil {
			log.Fatal(err)
		}
		c, err := client.Dial(ctx, e.Addr().String(), client.Options{Token: tok, OnPush: onPush})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	got := make(chan wire.Message, 16)
	creator := connect("creator-42", nil)
	fan := connect("fan-7", func(p *wire.Push) {
		for _, m := range p.Msgs {
			got <- m
		}
	})
	defer creator.Close()
	defer fan.Close()

	g, err := creator.CreateGroup(ctx, "粉丝群 1")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := fan.Join(ctx, g); err != nil {
		log.Fatal(err)
	}
	r, err := creator.SendText(ctx, g, "hello-1", "直播马上开始!")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sent seq %d to group %s\n", r.Seq, g)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-got:
			if m.Body.Text != nil {
				fmt.Printf("fan-7 received seq %d from %s: %s\n", m.Seq, m.Sender, m.Body.Text.Text)
				return
			}
		case <-timeout:
			log.Fatal("no push received")
		}
	}
}
