package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

func items(t *testing.T, lanes ...wire.Lane) []roomItem {
	var out []roomItem
	for i, l := range lanes {
		m := wire.Message{Seq: uint64(i + 1), Time: 1, Sender: "u", Type: wire.MsgText, Body: text("m"), Lane: l}
		out = append(out, roomItem{lane: l, msg: args(t, &m)})
	}
	return out
}

func decodeRoomPush(t *testing.T, f []byte) wire.RoomPush {
	t.Helper()
	ft, body, err := wire.FrameBody(f)
	if err != nil || ft != wire.FrameRoomPush {
		t.Fatalf("frame %v %v", ft, err)
	}
	var p wire.RoomPush
	if err := wire.Decode(body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoomFrames(t *testing.T) {
	C, N, H := wire.LaneChatter, wire.LaneNormal, wire.LaneHigh
	cases := []struct {
		name    string
		lanes   []wire.Lane
		keep    int
		online  int
		max     int
		frames  int
		msgs    int
		skipped int
		seqs    []uint64
	}{
		{"all in one frame", []wire.Lane{C, C, H, N, C}, -1, 0, 60 << 10, 1, 5, 0, []uint64{1, 2, 3, 4, 5}},
		{"thinned keeps every priority and the newest chatter", []wire.Lane{C, C, H, N, C, C}, 1, 0, 60 << 10, 1, 3, 3, []uint64{3, 4, 6}},
		{"no chatter kept", []wire.Lane{C, H, C}, 0, 7, 60 << 10, 1, 1, 2, []uint64{2}},
		{"only chatter, all skipped: still a frame saying so", []wire.Lane{C, C}, 0, 0, 60 << 10, 1, 0, 2, nil},
		{"online count alone", nil, -1, 42, 60 << 10, 1, 0, 0, nil},
		{"nothing", nil, -1, 0, 60 << 10, 0, 0, 0, nil},
		{"split by size", []wire.Lane{H, H, H, H}, -1, 0, 150, 4, 4, 0, []uint64{1, 2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, skipped, err := roomFrames("room-x", items(t, c.lanes...), c.keep, c.online, c.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != c.frames || skipped != c.skipped {
				t.Fatalf("%d frames, %d skipped; want %d, %d", len(fs), skipped, c.frames, c.skipped)
			}
			var seqs []uint64
			for i, f := range fs {
				p := decodeRoomPush(t, f)
				if _, body, _ := wire.FrameBody(f); strings.Contains(string(body), "\xa4msgs\xc0") {
					t.Fatalf("msgs is not an array: %q", body) // an empty list is an empty array, never nil
				}
				if p.Group != "room-x" {
					t.Fatalf("group %q", p.Group)
				}
				if i == 0 && (p.Skipped != c.skipped || p.Online != c.online) {
					t.Fatalf("first frame skipped %d online %d", p.Skipped, p.Online)
				}
				for _, m := range p.Msgs {
					seqs = append(seqs, m.Seq)
				}
			}
			if len(seqs) != c.msgs || (c.seqs != nil && !equal(seqs, c.seqs)) {
				t.Fatalf("seqs %v, want %v", seqs, c.seqs)
			}
		})
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSampler: at most k a second, whatever the windows.
func TestSampler(t *testing.T) {
	s := sampler{k: 10}
	t0 := time.Unix(1000, 0)
	total := 0
	for i := 0; i < 200; i++ { // 10 s of 50 ms windows, 20 chatter each
		total += s.take(t0.Add(time.Duration(i)*50*time.Millisecond), 20)
	}
	if total < 100 || total > 110 { // burst 10 + 10/s
		t.Fatalf("sampled %d in 10 s at k=10", total)
	}
	if n := (&sampler{k: 0}).take(t0, 5); n != 0 {
		t.Fatalf("k=0 sampled %d", n)
	}
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	t0 := time.Unix(1000, 0)
	m.add(t0, 100)
	m.add(t0.Add(500*time.Millisecond), 200)
	if r := m.rate(t0.Add(900 * time.Millisecond)); r != 0 {
		t.Fatalf("first second not complete: %d", r)
	}
	if r := m.rate(t0.Add(1500 * time.Millisecond)); r != 300 {
		t.Fatalf("rate %d, want 300", r)
	}
	m.add(t0.Add(1100*time.Millisecond), 5)
	if r := m.rate(t0.Add(1200 * time.Millisecond)); r != 300 {
		t.Fatalf("rate %d, want 300", r)
	}
	if r := m.rate(t0.Add(5 * time.Second)); r != 0 {
		t.Fatalf("stale rate %d", r)
	}
	cfg := DefaultRoomConfig()
	cfg.ThinBacklog, cfg.ThinLag = 16, 100*time.Millisecond
	if !thinFor(17, 0, &cfg, false) || thinFor(16, 0, &cfg, false) || !thinFor(0, 0, &cfg, true) ||
		!thinFor(0, 101*time.Millisecond, &cfg, false) || thinFor(0, 100*time.Millisecond, &cfg, false) {
		t.Fatal("thinFor")
	}
}
