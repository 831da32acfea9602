// Command embed runs a Qun engine inside another Go program: the host starts
// the engine, tells it what it knows of its users through the host hooks (a
// tiny social graph, a tier and a profile), mints tokens for its own users,
// and talks to it through the same TCP protocol its apps use (here with the
// Go client).
//
//	go run ./examples/embed
package main

import (
	"context"
	"errors"
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
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "qun-embed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0" // any free port
	cfg.DataDir = dir          // durable Pebble store
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.CreateMinFriends = 1 // the default: creating a group needs one mutual-follow friend
	// cfg.Hooks connects the platform's own services (engine.Hooks: Profiles,
	// Social, Moderation, Tiers). Left nil, as here, they are served by the
	// engine's in-memory host, which the host fills below.
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		return err
	}
	defer e.Close()

	// What the host knows of its users: a tiny social graph (creator-42 and
	// fan-7 follow each other; lurker-9 follows creator-42 only), the
	// creator's tier, and a fan's profile for the group's stats.
	host := e.Host()
	host.Befriend("creator-42", "fan-7")
	host.Follow("lurker-9", "creator-42")
	host.SetTier("creator-42", engine.Tier{MaxOwnedGroups: 50, MaxMembers: 2000})
	host.SetProfile("fan-7", engine.UserProfile{Gender: engine.GenderFemale, BirthYear: 2001})

	// The host mints a token for each app session of its users.
	connect := func(user string, onPush func(*wire.Push)) (*client.Client, error) {
		tok, err := e.MintToken(user)
		if err != nil {
			return nil, err
		}
		return client.Dial(ctx, e.Addr().String(), client.Options{Token: tok, OnPush: onPush})
	}
	got := make(chan wire.Message, 16)
	creator, err := connect("creator-42", nil)
	if err != nil {
		return err
	}
	defer creator.Close()
	fan, err := connect("fan-7", func(p *wire.Push) {
		for _, m := range p.Msgs {
			select {
			case got <- m:
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	defer fan.Close()
	lurker, err := connect("lurker-9", nil)
	if err != nil {
		return err
	}
	defer lurker.Close()

	// lurker-9 has no mutual-follow friend: the social graph refuses.
	if _, err := lurker.CreateGroup(ctx, "not allowed"); wire.CodeOf(err) != wire.CodeNotAllowed {
		return fmt.Errorf("lurker-9 created a group without a friend: %v", err)
	}
	fmt.Println("lurker-9 may not create a group: no mutual-follow friend")

	g, err := creator.CreateGroup(ctx, "粉丝群 1")
	if err != nil {
		return err
	}
	// fan-7 is creator-42's friend, so the creator may add them directly.
	if _, err := creator.Invite(ctx, g, "fan-7"); err != nil {
		return err
	}
	st, err := creator.GroupStats(ctx, g)
	if err != nil {
		return err
	}
	fmt.Printf("group %s: %d members, %d female (from the host's profiles)\n", g, st.Members, st.Female)

	r, err := creator.SendText(ctx, g, "hello-1", "直播马上开始!")
	if err != nil {
		return err
	}
	fmt.Printf("sent seq %d to group %s\n", r.Seq, g)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-got:
			if m.Body.Text != nil {
				fmt.Printf("fan-7 received seq %d from %s: %s\n", m.Seq, m.Sender, m.Body.Text.Text)
				return nil
			}
		case <-timeout:
			return errors.New("no push received")
		}
	}
}
