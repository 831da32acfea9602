package engine_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// BenchmarkCreatorNotice50 is one creator notice to 50 fan groups, end to
// end: one NotifyCreator call (the engine posts to the 50 group grains
// concurrently; each appends its message to Pebble with fsync, group
// commit shared across groups) until a fan connected over TCP and a member
// of all 50 groups has received all 50 pushes. An op is one notice.
//
//	go test -run XXX -bench CreatorNotice50 -benchtime 200x ./engine/
func BenchmarkCreatorNotice50(b *testing.B) {
	for _, store := range []string{"memory", "pebble"} {
		b.Run(store, func(b *testing.B) { benchNotice(b, store == "pebble", 50) })
	}
}

func benchNotice(b *testing.B, durable bool, groups int) {
	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = ""
	if durable {
		cfg.DataDir = b.TempDir()
	}
	cfg.CreateMinFriends = 0
	e, err := engine.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	var got atomic.Int64
	dial := func(user string, onPush func(*wire.Push)) *client.Client {
		tok, err := e.MintToken(user)
		if err != nil {
			b.Fatal(err)
		}
		c, err := client.Dial(ctx, e.Addr().String(), client.Options{Token: tok, OnPush: onPush})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	creator := dial("creator", nil)
	defer creator.Close()
	fan := dial("fan", func(p *wire.Push) {
		for _, m := range p.Msgs {
			if m.Type == wire.MsgLive {
				got.Add(1)
			}
		}
	})
	defer fan.Close()
	for i := 0; i < groups; i++ {
		r, err := creator.CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: "fans " + strconv.Itoa(i), Order: i})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fan.Join(ctx, r.Group); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n++
		res, err := e.NotifyCreator(ctx, "creator", wire.CreatorNoticeArgs{ID: fmt.Sprintf("live-%d", n), Kind: wire.NoticeLive, Room: "r1", Title: "开播啦"})
		if err != nil || len(res.Groups) != groups {
			b.Fatalf("notify: %d groups, %v", len(res.Groups), err)
		}
		want := int64(n * groups)
		deadline := time.Now().Add(30 * time.Second)
		for got.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("the fan got %d of %d notices", got.Load(), want)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(groups), "groups/op")
}
