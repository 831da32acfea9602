package client_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/internal/leaktest"
	"github.com/qunchat/qun/wire"
)

// TestMain: goleak with no ignore list; see internal/leaktest.
func TestMain(m *testing.M) { leaktest.Main(m) }

// fakeServer accepts one connection, answers the hello, and answers every
// request with reply. Before each reply it sends the frames in extra (a
// notice, a frame type from the future). It records the requests.
type fakeServer struct {
	ln    net.Listener
	reply []byte
	extra [][]byte
	mu    sync.Mutex
	reqs  []wire.Request
	done  chan struct{}
}

func startFake(t *testing.T, reply any, extra ...[]byte) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	body, err := wire.Marshal(reply)
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, reply: body, extra: extra, done: make(chan struct{})}
	go s.serve(t)
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

func (s *fakeServer) serve(t *testing.T) {
	defer close(s.done)
	nc, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	write := func(ft wire.FrameType, v any) bool {
		f, err := wire.EncodeFrame(ft, v)
		if err != nil {
			t.Error(err)
			return false
		}
		_, err = nc.Write(f)
		return err == nil
	}
	ft, _, _, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, nil)
	if err != nil || ft != wire.FrameHello {
		t.Errorf("fake server: first frame %v %v", ft, err)
		return
	}
	if !write(wire.FrameWelcome, &wire.Welcome{Version: 1, User: "alice", Session: "s", MaxFrame: wire.DefaultMaxFrameSize, MaxInFlight: 16}) {
		return
	}
	for {
		ft, b, _, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, nil)
		if err != nil {
			return
		}
		if ft != wire.FrameRequest {
			continue // pings
		}
		var req wire.Request
		if err := wire.Decode(b, &req); err != nil {
			t.Errorf("fake server: %v", err)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		for _, f := range s.extra {
			if _, err := nc.Write(f); err != nil {
				return
			}
		}
		if !write(wire.FrameReply, &wire.Reply{ID: req.ID, Body: s.reply}) {
			return
		}
	}
}

func (s *fakeServer) last() wire.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[len(s.reqs)-1]
}

// universal holds a key of every result type, so one reply decodes into
// any of them.
var universal = map[string]any{
	"seq": 7, "name": "hikes", "joined": true, "expires": 99, "g": "g1", "members": 3, "female": 2,
	"average_age": 27.5, "requests": []any{map[string]any{"user": "bob", "note": "hi"}},
	"invite":       map[string]any{"code": "g1-ABCDEFGH", "max_uses": 5},
	"invites":      []any{map[string]any{"code": "g1-ABCDEFGH"}},
	"groups":       []any{map[string]any{"g": "g1", "name": "hikes", "distance_km": 1.5}},
	"announcement": map[string]any{"seq": 3, "text": "rules"}, "acked": 1, "unacked": []any{"bob"},
}

func TestGroupOps(t *testing.T) {
	notice, err := wire.EncodeFrame(wire.FrameNotice, &wire.Notice{Kind: wire.EventJoinRequest, Group: "g1", User: "bob", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	future := []byte{0, 0, 0, 2, 42, 0x80} // frame type 42, body {}: to be ignored
	srv := startFake(t, universal, notice, future)
	var mu sync.Mutex
	var notices []wire.Notice
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.ln.Addr().String(), client.Options{Token: "t", PingInterval: -1,
		OnNotice: func(n *wire.Notice) { mu.Lock(); notices = append(notices, *n); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	name, policy, yes := "hikes", wire.JoinApproval, true
	seq := func(f func() (uint64, error)) func() (any, error) {
		return func() (any, error) { return f() }
	}
	cases := []struct {
		name string
		call func() (any, error)
		op   wire.Op
		args any
		want any // result; nil: only the error is checked
	}{
		{"UpdateGroup", seq(func() (uint64, error) {
			return c.UpdateGroup(ctx, wire.UpdateGroupArgs{Group: "g1", Profile: wire.Profile{Name: &name}, Join: &policy, MembersInvite: &yes})
		}), wire.OpUpdateGroup, &wire.UpdateGroupArgs{Group: "g1", Profile: wire.Profile{Name: &name}, Join: &policy, MembersInvite: &yes}, uint64(7)},
		{"SetRole", seq(func() (uint64, error) { return c.SetRole(ctx, "g1", "bob", wire.RoleAdmin) }),
			wire.OpSetRole, &wire.TargetArgs{Group: "g1", User: "bob", Role: wire.RoleAdmin}, uint64(7)},
		{"Kick", seq(func() (uint64, error) { return c.Kick(ctx, "g1", "bob") }), wire.OpKick, &wire.TargetArgs{Group: "g1", User: "bob"}, uint64(7)},
		{"Ban", seq(func() (uint64, error) { return c.Ban(ctx, "g1", "bob") }), wire.OpBan, &wire.TargetArgs{Group: "g1", User: "bob"}, uint64(7)},
		{"Unban", seq(func() (uint64, error) { return c.Unban(ctx, "g1", "bob") }), wire.OpUnban, &wire.TargetArgs{Group: "g1", User: "bob"}, uint64(7)},
		{"Mute", seq(func() (uint64, error) { return c.Mute(ctx, "g1", "bob", 10*time.Minute) }),
			wire.OpMute, &wire.TargetArgs{Group: "g1", User: "bob", Duration: 600000}, uint64(7)},
		{"Mute sub-ms", seq(func() (uint64, error) { return c.Mute(ctx, "g1", "bob", time.Microsecond) }),
			wire.OpMute, &wire.TargetArgs{Group: "g1", User: "bob", Duration: 1}, uint64(7)},
		{"Unmute", seq(func() (uint64, error) { return c.Mute(ctx, "g1", "bob", 0) }),
			wire.OpMute, &wire.TargetArgs{Group: "g1", User: "bob"}, uint64(7)},
		{"MuteAll", seq(func() (uint64, error) { return c.MuteAll(ctx, "g1", true) }), wire.OpMuteAll, &wire.MuteAllArgs{Group: "g1", On: true}, uint64(7)},
		{"TransferOwner", seq(func() (uint64, error) { return c.TransferOwner(ctx, "g1", "bob") }),
			wire.OpTransferOwner, &wire.TargetArgs{Group: "g1", User: "bob"}, uint64(7)},
		{"Dissolve", seq(func() (uint64, error) { return c.Dissolve(ctx, "g1") }), wire.OpDissolve, &wire.GroupArgs{Group: "g1"}, uint64(7)},
		{"Apply", func() (any, error) { return c.Apply(ctx, "g1", "hi") }, wire.OpApply, &wire.ApplyArgs{Group: "g1", Note: "hi"},
			wire.ApplyResult{Joined: true, Seq: 7, Expires: 99}},
		{"Review", seq(func() (uint64, error) { return c.Review(ctx, "g1", "bob", true) }),
			wire.OpReview, &wire.ReviewArgs{Group: "g1", User: "bob", Approve: true}, uint64(7)},
		{"ListRequests", func() (any, error) { return c.ListRequests(ctx, "g1") }, wire.OpListRequests, &wire.GroupArgs{Group: "g1"},
			[]wire.JoinRequest{{User: "bob", Note: "hi"}}},
		{"CreateInvite", func() (any, error) { return c.CreateInvite(ctx, "g1", 24*time.Hour, 5) }, wire.OpCreateInvite,
			&wire.CreateInviteArgs{Group: "g1", TTL: 86400000, MaxUses: 5}, wire.Invite{Code: "g1-ABCDEFGH", MaxUses: 5}},
		{"RevokeInvite", func() (any, error) { return nil, c.RevokeInvite(ctx, "g1", "g1-ABCDEFGH") }, wire.OpRevokeInvite,
			&wire.RevokeInviteArgs{Group: "g1", Code: "g1-ABCDEFGH"}, nil},
		{"ListInvites", func() (any, error) { return c.ListInvites(ctx, "g1") }, wire.OpListInvites, &wire.GroupArgs{Group: "g1"},
			[]wire.Invite{{Code: "g1-ABCDEFGH"}}},
		{"JoinCode", func() (any, error) { return c.JoinCode(ctx, "g1-ABCDEFGH") }, wire.OpJoin, &wire.JoinArgs{Code: "g1-ABCDEFGH"},
			wire.JoinResult{Seq: 7, Name: "hikes"}},
		{"Invite", seq(func() (uint64, error) { return c.Invite(ctx, "g1", "bob", "carol") }), wire.OpInvite,
			&wire.InviteArgs{Group: "g1", Users: []string{"bob", "carol"}}, uint64(7)},
		{"Announce", seq(func() (uint64, error) { return c.Announce(ctx, "g1", "rules") }), wire.OpAnnounce,
			&wire.AnnounceArgs{Group: "g1", Text: "rules"}, uint64(7)},
		{"AckAnnouncement", func() (any, error) { return nil, c.AckAnnouncement(ctx, "g1") }, wire.OpAckAnnounce, &wire.GroupArgs{Group: "g1"}, nil},
		{"AnnouncementState", func() (any, error) { return c.AnnouncementState(ctx, "g1") }, wire.OpAnnounceState, &wire.GroupArgs{Group: "g1"},
			wire.AnnounceStateResult{Announcement: &wire.Announcement{Seq: 3, Text: "rules"}, Acked: 1, Unacked: []string{"bob"}}},
		{"Pin", seq(func() (uint64, error) { return c.Pin(ctx, "g1", 5) }), wire.OpPin, &wire.PinArgs{Group: "g1", Seq: 5}, uint64(7)},
		{"Unpin", seq(func() (uint64, error) { return c.Unpin(ctx, "g1", 5) }), wire.OpPin, &wire.PinArgs{Group: "g1", Seq: 5, Unpin: true}, uint64(7)},
		{"PinGroup", func() (any, error) { return nil, c.PinGroup(ctx, "g1", true) }, wire.OpPinGroup, &wire.PinGroupArgs{Group: "g1", On: true}, nil},
		{"Search", func() (any, error) {
			return c.Search(ctx, wire.SearchArgs{Query: "徒步", Category: "outdoors", Limit: 5})
		}, wire.OpSearch,
			&wire.SearchArgs{Query: "徒步", Category: "outdoors", Limit: 5}, []wire.GroupCard{{Group: "g1", Name: "hikes", DistanceKm: 1.5}}},
		{"Nearby", func() (any, error) { return c.Nearby(ctx, wire.NearbyArgs{Lat: 31.2, Lng: -121.5, RadiusKm: 3}) }, wire.OpNearby,
			&wire.NearbyArgs{Lat: 31.2, Lng: -121.5, RadiusKm: 3}, []wire.GroupCard{{Group: "g1", Name: "hikes", DistanceKm: 1.5}}},
		{"ProfileGroups", func() (any, error) { return c.ProfileGroups(ctx, "bob") }, wire.OpProfileGroups, &wire.UserArgs{User: "bob"},
			[]wire.GroupCard{{Group: "g1", Name: "hikes", DistanceKm: 1.5}}},
		{"ShowOnProfile", func() (any, error) { return nil, c.ShowOnProfile(ctx, "g1", true) }, wire.OpShowOnProfile,
			&wire.ShowOnProfileArgs{Group: "g1", Show: true}, nil},
		{"GroupStats", func() (any, error) { return c.GroupStats(ctx, "g1") }, wire.OpGroupStats, &wire.GroupArgs{Group: "g1"},
			wire.GroupStats{Group: "g1", Members: 3, Female: 2, AverageAge: 27.5}},
	}
	for _, tc := range cases {
		got, err := tc.call()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		req := srv.last()
		if req.Op != tc.op {
			t.Errorf("%s: op %s, want %s", tc.name, req.Op, tc.op)
		}
		want, err := wire.Marshal(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(req.Args, want) {
			t.Errorf("%s: args %x, want %x", tc.name, []byte(req.Args), want)
		}
		if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: result %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// Every reply came after a notice and a frame of an unknown type: the
	// notices arrived and the connection survived.
	mu.Lock()
	n := len(notices)
	first := notices[0]
	mu.Unlock()
	if n != len(cases) || first != (wire.Notice{Kind: wire.EventJoinRequest, Group: "g1", User: "bob", Text: "hi"}) {
		t.Fatalf("%d notices, first %+v", n, first)
	}
}

// TestNoticeThroughOnFrame: with OnFrame set, notices come raw like pushes.
func TestNoticeThroughOnFrame(t *testing.T) {
	notice, err := wire.EncodeFrame(wire.FrameNotice, &wire.Notice{Kind: "approved", Group: "g1", User: "alice", By: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	srv := startFake(t, universal, notice)
	got := make(chan wire.Notice, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.ln.Addr().String(), client.Options{Token: "t", PingInterval: -1,
		OnNotice: func(*wire.Notice) { t.Error("OnNotice called although OnFrame is set") },
		OnFrame: func(ft wire.FrameType, body []byte) {
			var n wire.Notice
			if ft == wire.FrameNotice && wire.Decode(body, &n) == nil {
				got <- n
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GroupStats(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n.Kind != "approved" || n.By != "bob" {
			t.Fatalf("notice %+v", n)
		}
	case <-ctx.Done():
		t.Fatal("no notice")
	}
}
