package engine_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// BenchmarkFanout1000 measures the real delivery path of one message to
// 1000 connections: a client's send over TCP, the group grain, the store
// (in memory, or Pebble with fsync), the hub, 1000 connection queues and
// writers, and 1000 Go clients reading over loopback in this process. An op
// is one message (serial: send, then wait until all 1000 have it) or a
// burst of 64 pipelined messages (all delivered before the next burst).
func BenchmarkFanout1000(b *testing.B) {
	for _, store := range []string{"memory", "pebble"} {
		for _, burst := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/burst=%d", store, burst), func(b *testing.B) {
				benchFanout(b, store == "pebble", 1000, burst)
			})
		}
	}
}

func benchFanout(b *testing.B, durable bool, members, burst int) {
	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = ""
	if durable {
		cfg.DataDir = b.TempDir()
	}
	cfg.Group.MaxMembers = members + 1
	cfg.CreateMinFriends = 0
	cfg.DefaultTier = engine.Tier{MaxOwnedGroups: 4, MaxMembers: members + 1}
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
	dial := func(user string, onFrame func(wire.FrameType, []byte)) *client.Client {
		tok, err := e.MintToken(user)
		if err != nil {
			b.Fatal(err)
		}
		c, err := client.Dial(ctx, e.Addr().String(), client.Options{Token: tok, OnFrame: onFrame, DialTimeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	owner := dial("owner", nil)
	g, err := owner.CreateGroup(ctx, "fanout")
	if err != nil {
		b.Fatal(err)
	}
	owner.Close()
	// Join over short-lived connections so join events are not pushed to
	// hundreds of members already online.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 1; i < members; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := dial("m"+strconv.Itoa(i), nil)
			defer c.Close()
			if _, err := c.Join(ctx, g); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	var remaining atomic.Int64
	done := make(chan struct{}, 1)
	onFrame := func(t wire.FrameType, body []byte) {
		if t != wire.FramePush {
			return
		}
		n := countMsgs(body) // a push may carry several messages
		if remaining.Add(-int64(n)) == 0 {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	}
	clients := make([]*client.Client, members)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := "owner"
			if i > 0 {
				u = "m" + strconv.Itoa(i)
			}
			clients[i] = dial(u, onFrame)
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	sender := clients[0]
	text := fmt.Sprintf("%0100d", 0)
	errs := make(chan error, burst)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		remaining.Store(int64(burst * members))
		for k := 0; k < burst; k++ {
			n++
			go func() {
				_, err := sender.SendText(ctx, g, "", text)
				errs <- err
			}()
		}
		for k := 0; k < burst; k++ {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Fatalf("deliveries missing: %d", remaining.Load())
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n*members)/s, "deliveries/s")
	}
	if st := e.Stats(); st.SlowConsumer > 0 {
		b.Fatalf("%d slow consumers", st.SlowConsumer)
	}
}

// countMsgs returns the length of a push body's "msgs" array without
// decoding the messages (the readers share the CPU with the server).
func countMsgs(body []byte) int {
	i := bytes.Index(body, []byte("\xa4msgs"))
	if i < 0 || i+5 >= len(body) {
		return 0
	}
	b := body[i+5:]
	switch c := b[0]; {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f)
	case c == 0xdc && len(b) >= 3:
		return int(binary.BigEndian.Uint16(b[1:]))
	case c == 0xdd && len(b) >= 5:
		return int(binary.BigEndian.Uint32(b[1:]))
	}
	return 0
}
