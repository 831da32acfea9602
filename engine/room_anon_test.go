package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// TestAnonymousViewer: a hello without a token is welcomed as a signed-out
// viewer who may watch a room (and gets its gifts) but not speak or do
// anything else; the node bounds such connections (Room.MaxAnonymous).
func TestAnonymousViewer(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Group.Room.MaxAnonymous = 2
	e := startEngine(t, cfg)
	addr := e.Addr().String()
	ctx := ctxT(t)
	room, err := e.OpenRoom(ctx, "open", "host")
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer{seen: map[uint64]wire.Message{}}
	anon, err := client.Dial(ctx, addr, client.Options{OnRoomPush: v.onRoomPush})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if u := anon.User(); !strings.HasPrefix(u, engine.AnonymousPrefix) {
		t.Fatalf("anonymous user %q", u)
	}
	if _, err := anon.WatchRoom(ctx, room, nil); err != nil {
		t.Fatalf("anonymous watch: %v", err)
	}
	host := dialAddr(t, addr, "host")
	gift, err := host.RoomSend(ctx, room, "", "gift", wire.LaneHigh)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the anonymous viewer gets the gift", func() bool { return v.has([]uint64{gift.Seq}) })
	// Speaking, or anything but watching, needs sign-in; the connection stays.
	if _, err := anon.RoomSend(ctx, room, "", "hi", wire.LaneChatter); wire.CodeOf(err) != wire.CodeUnauthenticated {
		t.Fatalf("anonymous room_send: %v, want unauthenticated", err)
	}
	if _, err := anon.CreateGroup(ctx, "mine"); wire.CodeOf(err) != wire.CodeUnauthenticated {
		t.Fatalf("anonymous create_group: %v, want unauthenticated", err)
	}
	if err := anon.LeaveRoom(ctx, room); err != nil {
		t.Fatalf("anonymous leave_room: %v", err)
	}
	if n := e.Anonymous(); n != 1 {
		t.Fatalf("anonymous count %d, want 1", n)
	}

	// The bound: a second is welcome, a third refused; once one leaves,
	// another is welcome again.
	second, err := client.Dial(ctx, addr, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Dial(ctx, addr, client.Options{}); wire.CodeOf(err) != wire.CodeUnauthenticated {
		t.Fatalf("third anonymous viewer: %v, want unauthenticated", err)
	}
	second.Close()
	waitFor(t, 10*time.Second, "the second anonymous viewer gone", func() bool { return e.Anonymous() == 1 })
	third, err := client.Dial(ctx, addr, client.Options{})
	if err != nil {
		t.Fatalf("anonymous viewer after one left: %v", err)
	}
	third.Close()
}

// TestAnonymousViewerOff: with Room.MaxAnonymous 0 a hello without a token
// is refused, as before.
func TestAnonymousViewerOff(t *testing.T) {
	cfg0 := testConfig("")
	cfg0.Group.Room.MaxAnonymous = 0
	e0 := startEngine(t, cfg0)
	if _, err := client.Dial(context.Background(), e0.Addr().String(), client.Options{}); wire.CodeOf(err) != wire.CodeUnauthenticated {
		t.Fatalf("anonymous with MaxAnonymous 0: %v, want unauthenticated", err)
	}
}
