package wire_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/qunchat/qun/wire"
)

// Fixed values used by the examples, the round-trip tables and the seeds.
const (
	exGroup = "gq4zx7w2m5rkt3yab" // "g" + 16 base32 characters, as the server makes them
	exTime  = int64(1767225600000)
)

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		tb.Fatalf("Marshal(%T): %v", v, err)
	}
	return b
}

func mustFrame(tb testing.TB, t wire.FrameType, v any) []byte {
	tb.Helper()
	f, err := wire.EncodeFrame(t, v)
	if err != nil {
		tb.Fatalf("EncodeFrame(%v, %T): %v", t, v, err)
	}
	return f
}

// body strips the 5-byte header of a frame built by EncodeFrame.
func body(tb testing.TB, frame []byte) []byte {
	tb.Helper()
	_, b, err := wire.FrameBody(frame)
	if err != nil {
		tb.Fatalf("FrameBody: %v", err)
	}
	return b
}

func textMsg(seq uint64, from, cmid, text string, at ...string) wire.Message {
	return wire.Message{Seq: seq, Time: exTime + int64(seq), Sender: from, CMID: cmid, Type: wire.MsgText,
		Body: wire.Body{Text: &wire.TextBody{Text: text, Mentions: at}}}
}

func sysMsg(seq uint64, event, actor, target, text string) wire.Message {
	return wire.Message{Seq: seq, Time: exTime + int64(seq), Sender: actor, Type: wire.MsgSystem,
		Body: wire.Body{System: &wire.SystemBody{Event: event, Actor: actor, Target: target, Text: text}}}
}

// pushOf returns a push of n text messages of about 40 bytes of text each.
func pushOf(n int) *wire.Push {
	p := &wire.Push{Group: exGroup}
	for i := 0; i < n; i++ {
		p.Msgs = append(p.Msgs, textMsg(uint64(100+i), "alice", "c-"+string(rune('a'+i%26)), "the quick brown fox jumps over the lazy dog"))
	}
	return p
}

func sendArgs() *wire.SendArgs {
	return &wire.SendArgs{Group: exGroup, CMID: "c-0001", Type: wire.MsgText,
		Body: wire.Body{Text: &wire.TextBody{Text: "hi @bob", Mentions: []string{"bob"}}}}
}

// frameHeader is a 4-byte length prefix.
func frameHeader(n uint32) []byte {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], n)
	return h[:]
}

// rawFrame builds a frame from a type and raw body bytes.
func rawFrame(t wire.FrameType, b []byte) []byte {
	return append(append(frameHeader(uint32(len(b)+1)), byte(t)), b...)
}

// hostileCase is a msgpack body that Validate must refuse.
type hostileCase struct {
	name string
	b    []byte
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func nested(open []byte, depth int, leaf []byte) []byte {
	return cat(bytes.Repeat(open, depth), leaf)
}

// hostile lists bodies every decoder must refuse, most of them tiny frames
// that declare huge lengths.
func hostile() []hostileCase {
	ff := []byte{0xff, 0xff, 0xff, 0xff}
	key := func(k string) []byte { return append([]byte{0xa0 | byte(len(k))}, k...) }
	cases := []hostileCase{
		{"empty", nil},
		{"array32 4G", cat([]byte{0xdd}, ff)},
		{"map32 4G", cat([]byte{0xdf}, ff)},
		{"str32 4G", cat([]byte{0xdb}, ff)},
		{"bin32 4G", cat([]byte{0xc6}, ff)},
		{"array32 2G", []byte{0xdd, 0x7f, 0xff, 0xff, 0xff}},
		{"map32 2G", []byte{0xdf, 0x80, 0x00, 0x00, 0x00}},
		{"array32 6 bytes declared 5", []byte{0xdd, 0, 0, 0, 5, 0xc0}},
		{"array16 64k", []byte{0xdc, 0xff, 0xff}},
		{"map16 64k", []byte{0xde, 0xff, 0xff}},
		{"str16 64k", []byte{0xda, 0xff, 0xff}},
		{"bin16 64k", []byte{0xc5, 0xff, 0xff}},
		{"str8 255", []byte{0xd9, 0xff}},
		{"bin8 255", []byte{0xc4, 0xff}},
		{"fixarray 15", []byte{0x9f}},
		{"fixmap 15", []byte{0x8f}},
		{"fixmap value missing", []byte{0x81, 0xa1, 'k'}},
		{"fixstr 31", []byte{0xbf, 'a'}},
		{"array32 header cut", []byte{0xdd, 0xff, 0xff}},
		{"map32 header cut", []byte{0xdf, 0xff}},
		{"str32 header cut", []byte{0xdb}},
		{"map16 header cut", []byte{0xde, 0x00}},
		{"array16 header cut", []byte{0xdc}},
		{"str16 header cut", []byte{0xda, 0x01}},
		{"str8 header cut", []byte{0xd9}},
		{"too deep arrays", nested([]byte{0x91}, wire.MaxDepth+1, []byte{0xc0})},
		{"too deep maps", nested([]byte{0x81, 0xa1, 'k'}, wire.MaxDepth+1, []byte{0xc0})},
		{"too deep then huge", nested([]byte{0x91}, wire.MaxDepth+1, cat([]byte{0xdd}, ff))},
		{"0xc1 never used", []byte{0xc1}},
		{"fixext1", []byte{0xd4, 0x01, 0x00}},
		{"fixext2", []byte{0xd5, 0x01, 0x00, 0x00}},
		{"fixext4", []byte{0xd6, 0xff, 0, 0, 0, 0}}, // the timestamp extension
		{"fixext8", cat([]byte{0xd7, 0xff}, make([]byte, 8))},
		{"fixext16", cat([]byte{0xd8, 0x01}, make([]byte, 16))},
		{"ext8", []byte{0xc7, 0x01, 0x01, 0x00}},
		{"ext16", []byte{0xc8, 0x00, 0x01, 0x01, 0x00}},
		{"ext32", []byte{0xc9, 0, 0, 0, 1, 0x01, 0x00}},
		{"ext32 4G", cat([]byte{0xc9}, ff, []byte{0x01})},
		{"trailing nil", []byte{0xc0, 0xc0}},
		{"trailing after map", []byte{0x80, 0x00}},
		{"trailing garbage", []byte{0x81, 0xa1, 'k', 0x01, 0xff, 0xff}},
		{"uint8 cut", []byte{0xcc}},
		{"uint16 cut", []byte{0xcd, 0x00}},
		{"uint32 cut", []byte{0xce, 0, 0, 0}},
		{"uint64 cut", []byte{0xcf, 0, 0, 0, 0, 0, 0, 0}},
		{"int8 cut", []byte{0xd0}},
		{"int16 cut", []byte{0xd1, 0x00}},
		{"int32 cut", []byte{0xd2, 0, 0}},
		{"int64 cut", []byte{0xd3, 0}},
		{"float32 cut", []byte{0xca, 0, 0, 0}},
		{"float64 cut", []byte{0xcb, 0, 0, 0, 0, 0, 0}},
		// Hostile values where decoders meet them: inside a request's args,
		// a resync map and a send body.
		{"request args array32 4G", cat([]byte{0x83}, key("id"), []byte{0x01}, key("op"), []byte{0x05}, key("args"), []byte{0xdd}, ff)},
		{"request args map32 4G", cat([]byte{0x83}, key("id"), []byte{0x01}, key("op"), []byte{0x0a}, key("args"), []byte{0xdf}, ff)},
		{"request args ext", cat([]byte{0x83}, key("id"), []byte{0x01}, key("op"), []byte{0x05}, key("args"), []byte{0xd4, 0x01, 0x00})},
		{"resync groups map32 4G", cat([]byte{0x81}, key("groups"), []byte{0xdf}, ff)},
		{"resync groups key str32 4G", cat([]byte{0x81}, key("groups"), []byte{0x81, 0xdb}, ff)},
		{"send mentions array32 4G", cat([]byte{0x81}, key("body"), []byte{0x81}, key("text"), []byte{0x81}, key("at"), []byte{0xdd}, ff)},
		{"send text str32 4G", cat([]byte{0x81}, key("body"), []byte{0x81}, key("text"), []byte{0x81}, key("t"), []byte{0xdb}, ff)},
		{"push msgs array32 4G", cat([]byte{0x82}, key("g"), key("x"), key("msgs"), []byte{0xdd}, ff)},
		{"key bin32 4G", cat([]byte{0x81, 0xc6}, ff)},
	}
	return cases
}

// updateArgs changes several fields at once, a false and an empty string
// among them (present, unlike absent fields).
func updateArgs() *wire.UpdateGroupArgs {
	name, avatar, searchable := "徒步 weekend hikes", "", false
	policy, membersInvite := wire.JoinApproval, true
	return &wire.UpdateGroupArgs{Group: exGroup,
		Profile: wire.Profile{Name: &name, Avatar: &avatar, Searchable: &searchable,
			Location: &wire.GeoArgs{Lat: 31.2304, Lng: 121.4737, City: "上海"}},
		Join: &policy, MembersInvite: &membersInvite}
}

// infoFull is a GroupInfo with every field set.
func infoFull() *wire.GroupInfo {
	role := wire.RoleMember
	return &wire.GroupInfo{Group: exGroup, Name: "hikes", Owner: "alice", Created: exTime, Members: 3, MaxMember: 200,
		LastSeq: 44, LastTime: exTime + 44, Join: wire.JoinInvite, Avatar: "https://example.com/a.png", Description: "d",
		Category: "outdoors", Location: &wire.GeoArgs{Lat: -33.8688, Lng: 151.2093}, Searchable: true, MembersInvite: true,
		MuteAll: true, Admins: []string{"bob"}, Announcement: &wire.Announcement{Seq: 40, Text: "rules", By: "alice", At: exTime + 40},
		Pins: []uint64{3, 9}, Dissolved: true, YourRole: &role, MutedUntil: exTime + 60000}
}
