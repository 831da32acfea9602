package wire_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

// Fuzz properties:
//   - nothing panics, and no input larger than a frame is considered;
//   - Validate's errors are the wire errors, and what it accepts msgpack can
//     skip exactly, and decodes into every concrete type without panicking;
//   - ReadFrame never returns a body above the limit and consumes exactly
//     the frames it returns;
//   - whatever decodes re-encodes to a canonical form that is a fixed point.
//
// Run one with: go test -run XXX -fuzz FuzzValidate -fuzztime 20s ./wire/

// argTypes maps each op to its argument type.
var argTypes = map[wire.Op]func() any{
	wire.OpCreateGroup: func() any { return new(wire.CreateGroupArgs) },
	wire.OpGroupInfo:   func() any { return new(wire.GroupArgs) },
	wire.OpJoin:        func() any { return new(wire.JoinArgs) },
	wire.OpLeave:       func() any { return new(wire.GroupArgs) },
	wire.OpSend:        func() any { return new(wire.SendArgs) },
	wire.OpHistory:     func() any { return new(wire.HistoryArgs) },
	wire.OpMembers:     func() any { return new(wire.MembersArgs) },
	wire.OpMyGroups:    func() any { return new(wire.Empty) },
	wire.OpMarkRead:    func() any { return new(wire.MarkReadArgs) },
	wire.OpResync:      func() any { return new(wire.ResyncArgs) },

	wire.OpUpdateGroup:   func() any { return new(wire.UpdateGroupArgs) },
	wire.OpSetRole:       func() any { return new(wire.TargetArgs) },
	wire.OpKick:          func() any { return new(wire.TargetArgs) },
	wire.OpBan:           func() any { return new(wire.TargetArgs) },
	wire.OpUnban:         func() any { return new(wire.TargetArgs) },
	wire.OpMute:          func() any { return new(wire.TargetArgs) },
	wire.OpMuteAll:       func() any { return new(wire.MuteAllArgs) },
	wire.OpTransferOwner: func() any { return new(wire.TargetArgs) },
	wire.OpDissolve:      func() any { return new(wire.GroupArgs) },
	wire.OpApply:         func() any { return new(wire.ApplyArgs) },
	wire.OpReview:        func() any { return new(wire.ReviewArgs) },
	wire.OpListRequests:  func() any { return new(wire.GroupArgs) },
	wire.OpCreateInvite:  func() any { return new(wire.CreateInviteArgs) },
	wire.OpRevokeInvite:  func() any { return new(wire.RevokeInviteArgs) },
	wire.OpInvite:        func() any { return new(wire.InviteArgs) },
	wire.OpAnnounce:      func() any { return new(wire.AnnounceArgs) },
	wire.OpAckAnnounce:   func() any { return new(wire.GroupArgs) },
	wire.OpAnnounceState: func() any { return new(wire.GroupArgs) },
	wire.OpPin:           func() any { return new(wire.PinArgs) },
	wire.OpPinGroup:      func() any { return new(wire.PinGroupArgs) },
	wire.OpSearch:        func() any { return new(wire.SearchArgs) },
	wire.OpNearby:        func() any { return new(wire.NearbyArgs) },

	wire.OpCreateFanGroup: func() any { return new(wire.CreateFanGroupArgs) },
	wire.OpSetFanGroup:    func() any { return new(wire.SetFanGroupArgs) },
	wire.OpFanGroups:      func() any { return new(wire.FanGroupsArgs) },
	wire.OpNotifyCreator:  func() any { return new(wire.CreatorNoticeArgs) },
	wire.OpAnnounceStrong: func() any { return new(wire.AnnounceArgs) },
	wire.OpRecall:         func() any { return new(wire.RecallArgs) },
	wire.OpSetDivert:      func() any { return new(wire.SetDivertArgs) },
	wire.OpShareCard:      func() any { return new(wire.GroupArgs) },
	wire.OpSetHostFacts:   func() any { return new(wire.HostFactsArgs) },
	wire.OpProfileGroups:  func() any { return new(wire.UserArgs) },
	wire.OpShowOnProfile:  func() any { return new(wire.ShowOnProfileArgs) },
	wire.OpGroupStats:     func() any { return new(wire.GroupArgs) },
	wire.OpListInvites:    func() any { return new(wire.GroupArgs) },

	wire.OpSendPacket:       func() any { return new(wire.SendPacketArgs) },
	wire.OpClaimPacket:      func() any { return new(wire.PacketArgs) },
	wire.OpPacketInfo:       func() any { return new(wire.PacketArgs) },
	wire.OpRecallPacket:     func() any { return new(wire.PacketArgs) },
	wire.OpCommerceSettings: func() any { return new(wire.CommerceSettingsArgs) },
	wire.OpOpenLottery:      func() any { return new(wire.OpenLotteryArgs) },
	wire.OpEnterLottery:     func() any { return new(wire.LotteryArgs) },
	wire.OpLotteryInfo:      func() any { return new(wire.LotteryArgs) },
	wire.OpPostCoupon:       func() any { return new(wire.PostCouponArgs) },
	wire.OpClaimCoupon:      func() any { return new(wire.CouponArgs) },
	wire.OpCouponInfo:       func() any { return new(wire.CouponArgs) },
	wire.OpCreateOrderGroup: func() any { return new(wire.OrderGroupArgs) },
	wire.OpOrderEvent:       func() any { return new(wire.OrderEventArgs) },
	wire.OpBalance:          func() any { return new(wire.UserArgs) },
	wire.OpGrant:            func() any { return new(wire.GrantArgs) },
	wire.OpShopGroups:       func() any { return new(wire.UserArgs) },
	wire.OpOpenRoom:         func() any { return new(wire.OpenRoomArgs) },
	wire.OpCloseRoom:        func() any { return new(wire.GroupArgs) },
	wire.OpWatchRoom:        func() any { return new(wire.WatchRoomArgs) },
	wire.OpLeaveRoom:        func() any { return new(wire.GroupArgs) },
	wire.OpRoomSend:         func() any { return new(wire.RoomSendArgs) },
	wire.OpRoomConfig:       func() any { return new(wire.RoomConfigArgs) },
}

// TestArgTypesCoverOps: every op has its argument type in argTypes, so the
// fuzzers decode every op's arguments.
func TestArgTypesCoverOps(t *testing.T) {
	for name, v := range declaredConsts(t, "Op") {
		if _, ok := argTypes[wire.Op(v)]; !ok {
			t.Errorf("%s (%d) has no entry in argTypes", name, v)
		}
	}
}

// allTypes is every type that travels in a frame body, an op's arguments or
// an op's result.
func allTypes() []func() any {
	out := []func() any{
		func() any { return new(wire.Hello) }, func() any { return new(wire.Welcome) },
		func() any { return new(wire.Request) }, func() any { return new(wire.Reply) },
		func() any { return new(wire.ErrorFrame) }, func() any { return new(wire.Push) },
		func() any { return new(wire.Gap) }, func() any { return new(wire.Ping) },
		func() any { return new(wire.Message) },
		func() any { return new(wire.CreateGroupResult) }, func() any { return new(wire.GroupInfo) },
		func() any { return new(wire.JoinResult) }, func() any { return new(wire.SeqResult) },
		func() any { return new(wire.SendResult) }, func() any { return new(wire.HistoryResult) },
		func() any { return new(wire.MembersResult) }, func() any { return new(wire.MyGroupsResult) },
		func() any { return new(wire.ResyncResult) },
		func() any { return new(wire.Notice) }, func() any { return new(wire.ApplyResult) },
		func() any { return new(wire.RequestsResult) }, func() any { return new(wire.InviteResult) },
		func() any { return new(wire.InvitesResult) }, func() any { return new(wire.AnnounceStateResult) },
		func() any { return new(wire.SearchResult) }, func() any { return new(wire.GroupStats) },
		func() any { return new(wire.FanGroupsResult) }, func() any { return new(wire.CreatorNoticeResult) },
		func() any { return new(wire.ShareCard) }, func() any { return new(wire.CustomBody) },
	}
	for _, f := range argTypes {
		out = append(out, f)
	}
	return out
}

// seedBodies are valid bodies of every kind plus the hostile ones.
func seedBodies(f *testing.F) [][]byte {
	var out [][]byte
	for _, c := range frameCases(f) {
		out = append(out, body(f, mustFrame(f, c.t, c.v)))
	}
	for _, v := range []any{
		sendArgs(), &wire.CreateGroupArgs{Name: "book club"}, &wire.GroupArgs{Group: exGroup},
		&wire.HistoryArgs{Group: exGroup, After: wire.After(0), Limit: 50}, &wire.HistoryArgs{Group: exGroup, Before: 77}, &wire.MembersArgs{Group: exGroup, After: "bob", Limit: 20},
		&wire.MarkReadArgs{Group: exGroup, Seq: 9}, &wire.ResyncArgs{Groups: map[string]uint64{exGroup: 3, "g2": 0}},
		&wire.Empty{}, &wire.GroupInfo{Group: exGroup, Name: "n", Owner: "o", Members: 3, LastSeq: 9},
		&wire.MembersResult{Members: []wire.Member{{User: "a", Role: wire.RoleOwner, Joined: exTime}}, Total: 1, Next: "a"},
		&wire.MyGroupsResult{Groups: []wire.MyGroup{{Group: exGroup, Name: "n", LastSeq: 9, ReadSeq: 3, Unread: 6, Pinned: true}}},
		&wire.ResyncResult{Groups: []wire.ResyncGroup{{Group: exGroup, LastSeq: 5, Sent: 2, Gap: true, Code: wire.CodeNotMember}}},
		updateArgs(), &wire.TargetArgs{Group: exGroup, User: "bob", Duration: 600000},
		&wire.TargetArgs{Group: exGroup, User: "bob", Role: wire.RoleAdmin}, &wire.JoinArgs{Code: exGroup + "-K3M7Q2ZA"},
		&wire.InviteArgs{Group: exGroup, Users: []string{"bob", "carol"}}, &wire.SearchArgs{Query: "徒步", Category: "outdoors", Limit: 5},
		&wire.NearbyArgs{Lat: 31.2304, Lng: 121.4737, RadiusKm: 5}, infoFull(),
		&wire.GroupStats{Group: exGroup, Members: 3, Female: 2, Active7d: 1, AverageAge: 27.5, MsgsYesterday: 4, MsgsToday: 1},
		&wire.SearchResult{Groups: []wire.GroupCard{{Group: exGroup, Name: "徒步", Owner: "alice", Members: 3, Join: wire.JoinApproval, DistanceKm: 1.25}}},
		&wire.AnnounceStateResult{Acked: 1, Unacked: []string{"bob"}, Announcement: &wire.Announcement{Seq: 5, Text: "hi", By: "alice", At: exTime}},
	} {
		out = append(out, mustMarshal(f, v))
	}
	for _, v := range richSends() {
		out = append(out, mustMarshal(f, v))
	}
	for _, c := range hostile() {
		out = append(out, c.b)
	}
	return out
}

func isWireError(err error) bool {
	return errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrTooDeep) || errors.Is(err, wire.ErrTrailing)
}

// generic decodes validated msgpack into maps and slices, which compare
// equal whatever the order of map keys (Marshal writes Go maps in random
// order). Safe here: the bytes passed Validate, so lengths are bounded.
func generic(t *testing.T, b []byte) any {
	t.Helper()
	if err := wire.Validate(b); err != nil {
		t.Fatalf("re-encoded value does not validate: %v\n%x", err, b)
	}
	var out any
	if err := msgpack.Unmarshal(b, &out); err != nil {
		t.Fatalf("generic decode: %v", err)
	}
	return out
}

// checkFixedPoint re-encodes a decoded value v with Marshal, decodes that
// into a fresh value, and checks both encode to the same bytes (or, for Go
// maps, the same msgpack value).
func checkFixedPoint(t *testing.T, v any, fresh func() any) {
	t.Helper()
	e1, err := wire.Marshal(v)
	if err != nil {
		t.Fatalf("re-encode %T: %v", v, err)
	}
	w := fresh()
	if err := wire.Decode(e1, w); err != nil {
		t.Fatalf("decode re-encoded %T: %v\n%x", v, err, e1)
	}
	e2, err := wire.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(e1, e2) {
		return
	}
	// Only Go maps (ResyncArgs.Groups, string keys) may differ in order.
	if g1, g2 := generic(t, e1), generic(t, e2); !reflect.DeepEqual(g1, g2) {
		t.Fatalf("%T changed in a round trip:\n%x\n%x", v, e1, e2)
	}
}

func FuzzValidate(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	types := allTypes()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		err := wire.Validate(b)
		if err != nil {
			if !isWireError(err) {
				t.Fatalf("Validate error %v is not a wire error", err)
			}
			return
		}
		d := msgpack.NewDecoder(bytes.NewReader(b))
		if err := d.Skip(); err != nil {
			t.Fatalf("Validate accepted what msgpack cannot skip: %v", err)
		}
		if rest := d.Buffered().(*bytes.Reader).Len(); rest != 0 {
			t.Fatalf("Validate accepted a value msgpack ends %d bytes early", rest)
		}
		for _, newV := range types {
			_ = wire.Decode(b, newV()) // must not panic
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		var req wire.Request
		if err := wire.Decode(b, &req); err != nil {
			return
		}
		// As the server does: decode the args into the op's type.
		for op, newArgs := range argTypes {
			args := req.Args
			if len(args) == 0 {
				args = []byte{0x80}
			}
			a := newArgs()
			if err := wire.Decode(args, a); err == nil {
				checkFixedPoint(t, a, argTypes[op])
			}
		}
		checkFixedPoint(t, &req, func() any { return new(wire.Request) })
	})
}

func FuzzDecodePush(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		var p wire.Push
		if err := wire.Decode(b, &p); err != nil {
			return
		}
		for i := range p.Msgs {
			_ = p.Msgs[i].Check(4096)
		}
		checkFixedPoint(t, &p, func() any { return new(wire.Push) })
	})
}

// FuzzDecodeAny decodes one body into every type on the wire.
func FuzzDecodeAny(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	types := allTypes()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		for _, newV := range types {
			v := newV()
			if err := wire.Decode(b, v); err == nil {
				checkFixedPoint(t, v, newV)
			}
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	var stream []byte
	for _, c := range frameCases(f) {
		fr := mustFrame(f, c.t, c.v)
		f.Add(fr, uint32(wire.DefaultMaxFrameSize))
		f.Add(fr, uint32(len(fr)-5)) // one byte under the frame
		stream = append(stream, fr...)
	}
	f.Add(stream, uint32(wire.DefaultMaxFrameSize))
	f.Add(frameHeader(0), uint32(1024))
	f.Add(frameHeader(0xffffffff), uint32(wire.DefaultMaxFrameSize))
	f.Add(append(frameHeader(10), 1, 2), uint32(1024))
	f.Add([]byte{0, 0}, uint32(1024))
	for _, c := range hostile() {
		f.Add(rawFrame(wire.FrameRequest, c.b), uint32(8<<10))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint32) {
		max = max%(1<<20) + 1
		src := bytes.NewReader(data)
		r := bufio.NewReaderSize(src, 64)
		var buf []byte
		consumed := 0
		for {
			ft, b, nbuf, err := wire.ReadFrame(r, int(max), buf)
			buf = nbuf
			if err != nil {
				switch {
				case err == io.EOF:
					if consumed != len(data) {
						t.Fatalf("EOF after %d of %d bytes", consumed, len(data))
					}
				case errors.Is(err, wire.ErrFrameTooLarge), errors.Is(err, wire.ErrEmptyFrame), err == io.ErrUnexpectedEOF:
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			n := int(uint32(data[consumed])<<24 | uint32(data[consumed+1])<<16 | uint32(data[consumed+2])<<8 | uint32(data[consumed+3]))
			if len(b)+1 != n || n > int(max) {
				t.Fatalf("body %d bytes for declared %d, max %d", len(b), n, max)
			}
			if byte(ft) != data[consumed+4] || !bytes.Equal(b, data[consumed+5:consumed+4+n]) {
				t.Fatal("frame does not match the input")
			}
			consumed += 4 + n
			if len(buf) > int(max) {
				t.Fatalf("buffer grew to %d > max %d", len(buf), max)
			}
			// Decoding the body as a request must be safe whatever it holds.
			var req wire.Request
			_ = wire.Decode(b, &req)
		}
	})
}

// FuzzDecodeArgs decodes one body as every op's arguments, as the server
// does (DecodeArgs). What it accepts: every integer equals the one sent
// (never narrowed, never wrapped), every string passes the check of its
// kind, and the value is a fixed point of re-encoding.
func FuzzDecodeArgs(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	for _, s := range strictSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		for op, newArgs := range argTypes {
			a := newArgs()
			if err := wire.DecodeArgs(b, a); err != nil {
				if err.Code != wire.CodeBadRequest {
					t.Fatalf("%s: error code %s", op, err.Code)
				}
				continue
			}
			if len(b) > 0 && !(len(b) == 1 && b[0] == 0xc0) {
				if g, err := decodeAnyKeys(b); err == nil {
					sameInts(t, op.String(), g, reflect.ValueOf(a).Elem())
				} else if verr := wire.Validate(b); verr != nil {
					t.Fatalf("%s: accepted what msgpack cannot decode: %v (%v)", op, err, verr)
				} // else: well-formed, with maps keyed by maps or arrays under keys the op ignores
				// (no generic Go value holds those; the op's own fields were checked on decode)
			}
			checkKinds(t, op.String(), reflect.ValueOf(a).Elem(), wire.FieldText)
			checkFixedPoint(t, a, newArgs)
		}
	})
}

// strictSeeds are argument maps with integers at and past their bounds and
// strings of every bad class.
func strictSeeds() [][]byte {
	var out [][]byte
	ints := [][]byte{{0xff}, {0xcc, 0xff}, {0xcd, 0x01, 0x00}, {0xcd, 0xff, 0xff}, {0xce, 0, 1, 0, 0},
		{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0},
		{0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, {0xca, 0x3f, 0xc0, 0, 0}}
	for _, key := range []string{"role", "type", "seq", "limit", "join", "ttl", "max_uses", "duration", "after", "before", "lat"} {
		for _, v := range ints {
			k, _ := msgpack.Marshal(key)
			out = append(out, append(append([]byte{0x82, 0xa1, 'g', 0xa2, 'g', '1'}, k...), v...))
		}
	}
	for _, key := range []string{"g", "user", "name", "cmid", "note", "code", "q"} {
		for _, s := range []string{"a\xffb", "a\x00b", "a\nb", "a b", "a\u2028b", "ok"} {
			m, _ := msgpack.Marshal(map[string]string{key: s})
			out = append(out, m)
		}
	}
	return out
}

// sameInts: every integer field of v that g (the generic decoding of the
// same bytes) holds has exactly g's value.
func sameInts(t *testing.T, where string, g any, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		m, ok := g.(map[string]any)
		if !ok {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("msgpack"), ",")
			if gv, ok := m[name]; ok && v.Type().Field(i).IsExported() {
				sameInts(t, where+"."+name, gv, v.Field(i))
			}
		}
	case reflect.Slice:
		gs, ok := g.([]any)
		if !ok || v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < len(gs) && i < v.Len(); i++ {
			sameInts(t, where, gs[i], v.Index(i))
		}
	case reflect.Map:
		gm, ok := g.(map[string]any)
		if !ok {
			return
		}
		for _, k := range v.MapKeys() {
			if k.Kind() == reflect.String {
				sameInts(t, where, gm[k.String()], v.MapIndex(k))
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if g != nil && genericInt(g) != strconv.FormatInt(v.Int(), 10) {
			t.Fatalf("%s: sent %v, decoded %d", where, g, v.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if g != nil && genericInt(g) != strconv.FormatUint(v.Uint(), 10) {
			t.Fatalf("%s: sent %v, decoded %d", where, g, v.Uint())
		}
	}
}

func genericInt(g any) string {
	switch x := g.(type) {
	case int8, int16, int32, int64, int:
		return strconv.FormatInt(reflect.ValueOf(x).Int(), 10)
	case uint8, uint16, uint32, uint64, uint:
		return strconv.FormatUint(reflect.ValueOf(x).Uint(), 10)
	}
	return fmt.Sprintf("non-integer %T", g)
}

// checkKinds: every string in v passes the check of its field's kind.
func checkKinds(t *testing.T, where string, v reflect.Value, f wire.Field) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkKinds(t, where, v.Elem(), f)
		}
	case reflect.String:
		if err := wire.CheckField(f, v.String()); err != nil {
			t.Fatalf("%s: accepted %q: %v", where, v.String(), err)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				checkKinds(t, where, v.Index(i), f)
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkKinds(t, where+" key", k, f)
			checkKinds(t, where, v.MapIndex(k), wire.FieldText)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("msgpack"), ",")
			checkKinds(t, where+"."+name, v.Field(i), wire.FieldOf(name))
		}
	}
}

// decodeAnyKeys decodes b generically, allowing maps with keys that are not
// strings (msgpack's decoding into any refuses them; DecodeArgs ignores
// such maps under unknown keys), with every key turned into its text.
func decodeAnyKeys(b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil { // a map keyed by a map: not hashable
			v, err = nil, fmt.Errorf("generic decode: %v", r)
		}
	}()
	d := msgpack.NewDecoder(bytes.NewReader(b))
	d.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return stringKeys(v), nil
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i := range x {
			x[i] = stringKeys(x[i])
		}
		return x
	}
	return v
}
