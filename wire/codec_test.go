package wire_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

// reflectEncode is the reflection encoder the hand-written ones replace
// (the hot types implement wire.Appender, not msgpack.CustomEncoder, so
// msgpack still encodes them by reflection).
func reflectEncode(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	enc.SetOmitEmpty(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatalf("reflection encode %T: %v", v, err)
	}
	return buf.Bytes()
}

// gen makes random values with the edges of every encoding: integer
// boundaries, string lengths around each header size, nil and empty slices.
type gen struct{ r *rand.Rand }

func (g gen) uint() uint64 {
	edges := []uint64{0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MaxUint64}
	if g.r.IntN(2) == 0 {
		return edges[g.r.IntN(len(edges))]
	}
	return g.r.Uint64() >> g.r.IntN(64)
}

func (g gen) int() int64 {
	edges := []int64{0, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64, math.MaxInt64, 1767225600000}
	if g.r.IntN(2) == 0 {
		return edges[g.r.IntN(len(edges))]
	}
	v := int64(g.r.Uint64() >> g.r.IntN(64))
	if g.r.IntN(2) == 0 {
		v = -v
	}
	return v
}

func (g gen) str() string {
	lens := []int{0, 1, 5, 31, 32, 100, 255, 256, 1000, 65535, 65536}
	n := lens[g.r.IntN(len(lens))]
	if n > 1000 && g.r.IntN(64) != 0 {
		n = g.r.IntN(40)
	}
	return strings.Repeat("xé", n/2+1)[:n]
}

func (g gen) raw(tb testing.TB) wire.Raw {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return wire.Raw{0xc0}
	}
	return reflectEncode(tb, map[string]any{"g": g.str(), "n": g.uint()})
}

func (g gen) body() wire.Body {
	var b wire.Body
	if g.r.IntN(3) != 0 {
		t := &wire.TextBody{Text: g.str()}
		switch g.r.IntN(3) {
		case 1:
			t.Mentions = []string{}
		case 2:
			for i := g.r.IntN(20); i >= 0; i-- {
				t.Mentions = append(t.Mentions, g.str())
			}
		}
		b.Text = t
	}
	if g.r.IntN(3) == 0 {
		b.System = &wire.SystemBody{Event: g.str(), Actor: g.str(), Target: g.str(), Text: g.str(), Until: g.int()}
	}
	// Rich bodies go through reflection inside the hand-written codec.
	switch g.r.IntN(8) {
	case 0:
		b.Image = &wire.ImageBody{URL: g.str(), W: int(g.int() % 100000), H: 3}
	case 1:
		b.Product = &wire.ProductBody{ID: g.str(), Title: g.str(), Price: g.int(), Currency: "CNY"}
	case 2:
		b.Location = &wire.LocationBody{Lat: 31.2, Lng: -121.5, Name: g.str()}
	}
	return b
}

func (g gen) message() wire.Message {
	return wire.Message{Seq: g.uint(), Time: g.int(), Sender: g.str(), CMID: g.str(), Type: wire.MsgType(g.uint()), Body: g.body(), Lane: wire.Lane(g.uint())}
}

func (g gen) value(tb testing.TB, kind int) any {
	switch kind {
	case 0:
		return &wire.Request{ID: uint32(g.uint()), Op: wire.Op(g.uint()), Args: g.raw(tb)}
	case 1:
		return &wire.Reply{ID: uint32(g.uint()), Body: g.raw(tb)}
	case 2:
		return &wire.SendArgs{Group: g.str(), CMID: g.str(), Type: wire.MsgType(g.uint()), Body: g.body()}
	case 3:
		return &wire.SendResult{Seq: g.uint(), Time: g.int(), Dup: g.r.IntN(2) == 0}
	case 4:
		m := g.message()
		return &m
	case 5:
		p := &wire.Push{Group: g.str()}
		switch g.r.IntN(3) {
		case 1:
			p.Msgs = []wire.Message{}
		case 2:
			for i := g.r.IntN(20); i >= 0; i-- {
				p.Msgs = append(p.Msgs, g.message())
			}
		}
		return p
	case 6:
		return &wire.ErrorFrame{ID: uint32(g.uint()), Code: wire.Code(g.uint()), Msg: g.str(), RetryAfter: g.int()}
	case 7:
		return &wire.GroupArgs{Group: g.str()}
	}
	return &wire.Ping{N: g.uint()}
}

const codecKinds = 9

// TestCodecMatchesReflection encodes many random values with the
// hand-written encoders and by reflection and compares the bytes, then
// decodes them both ways and compares the values.
func TestCodecMatchesReflection(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < 10000; i++ {
		kind := i % codecKinds
		v := g.value(t, kind)
		want := reflectEncode(t, v)
		got, err := wire.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal %T: %v", v, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%T %+v:\nhand-written %x\nreflection   %x", v, v, got, want)
		}
		frame, err := wire.EncodeFrame(wire.FramePush, v)
		if err != nil || !bytes.Equal(frame[5:], want) {
			t.Fatalf("EncodeFrame %T differs: %v", v, err)
		}
		fast := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		slow := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := wire.Decode(want, fast); err != nil {
			t.Fatalf("Decode %T: %v\n%x", v, err, want)
		}
		if err := msgpack.Unmarshal(want, slow); err != nil {
			t.Fatalf("reflection decode %T: %v", v, err)
		}
		if !bytes.Equal(reflectEncode(t, fast), reflectEncode(t, slow)) {
			t.Fatalf("%T decoded differently:\nhand-written %+v\nreflection   %+v", v, fast, slow)
		}
	}
}

// TestCodecRefusesOutOfRange: an integer that does not fit its field is an
// error, never narrowed; a negative one is an error for an unsigned field.
func TestCodecRefusesOutOfRange(t *testing.T) {
	cases := []struct {
		name string
		v    any
		into any
	}{
		{"request id over uint32", map[string]any{"id": uint64(math.MaxUint32 + 1), "op": 1}, new(wire.Request)},
		{"request id negative", map[string]any{"id": -1, "op": 1}, new(wire.Request)},
		{"op over uint16", map[string]any{"id": 1, "op": 65536}, new(wire.Request)},
		{"type over uint8", map[string]any{"g": "g1", "type": 256}, new(wire.SendArgs)},
		{"seq negative", map[string]any{"seq": int64(-5)}, new(wire.SendResult)},
		{"ts over int64", map[string]any{"ts": uint64(math.MaxUint64)}, new(wire.Message)},
		{"code over uint16", map[string]any{"id": 1, "code": 70000}, new(wire.ErrorFrame)},
		{"until over int64", map[string]any{"g": "g1", "msgs": []any{map[string]any{"body": map[string]any{"sys": map[string]any{"until": uint64(1 << 63)}}}}}, new(wire.Push)},
		{"string where int", map[string]any{"seq": "1"}, new(wire.SendResult)},
		{"args count over body", nil, new(wire.Request)},
	}
	for _, c := range cases {
		b := reflectEncode(t, c.v)
		if c.v == nil {
			b = []byte{0xdf, 0xff, 0xff, 0xff, 0xff} // map32 declaring 4G entries
		}
		if err := wire.Decode(b, c.into); err == nil {
			t.Errorf("%s: decoded %x into %+v", c.name, b, c.into)
		}
	}
	// In range at the edges.
	var q wire.Request
	if err := wire.Decode(reflectEncode(t, map[string]any{"id": uint64(math.MaxUint32), "op": 65535, "x": []int{1, 2}}), &q); err != nil || q.ID != math.MaxUint32 || q.Op != 65535 {
		t.Fatalf("edges: %v %+v", err, q)
	}
	var r wire.SendResult
	if err := wire.Decode(reflectEncode(t, map[string]any{"seq": uint64(math.MaxUint64), "ts": int64(math.MinInt64)}), &r); err != nil || r.Seq != math.MaxUint64 || r.Time != math.MinInt64 {
		t.Fatalf("edges: %v %+v", err, r)
	}
}

// TestCodecDecodedOwnsItsBytes: a decoded value does not alias the body,
// which the reader reuses for the next frame.
func TestCodecDecodedOwnsItsBytes(t *testing.T) {
	b := mustMarshal(t, &wire.SendArgs{Group: exGroup, CMID: "c1", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "hello"}}})
	q := mustMarshal(t, &wire.Request{ID: 1, Op: wire.OpSend, Args: b})
	var req wire.Request
	var a wire.SendArgs
	if err := wire.Decode(q, &req); err != nil {
		t.Fatal(err)
	}
	if err := wire.Decode(req.Args, &a); err != nil {
		t.Fatal(err)
	}
	for i := range q {
		q[i] = 0
	}
	if err := wire.Decode(req.Args, &a); err != nil || a.Group != exGroup || a.Body.Text.Text != "hello" {
		t.Fatalf("after the body was overwritten: %v %+v", err, a)
	}
}

// FuzzCodec decodes any bytes with the hand-written decoders and by
// reflection: when the hand-written one succeeds, reflection must succeed
// with the same value, and the value re-encodes identically both ways.
func FuzzCodec(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 2*codecKinds; i++ {
		f.Add(reflectEncode(f, g.value(f, i%codecKinds)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			t.Skip()
		}
		g := gen{rand.New(rand.NewPCG(0, 0))}
		for kind := 0; kind < codecKinds; kind++ {
			typ := reflect.TypeOf(g.value(t, kind)).Elem()
			fast := reflect.New(typ).Interface()
			if err := wire.Decode(b, fast); err != nil {
				continue
			}
			slow := reflect.New(typ).Interface()
			if err := msgpack.Unmarshal(b, slow); err != nil {
				t.Fatalf("%v: hand-written decoded what reflection refuses (%v): %x", typ, err, b)
			}
			// Compared as generic values: a rich body's custom data is a Go
			// map, encoded in any order.
			e1 := reflectEncode(t, fast)
			if e0 := reflectEncode(t, slow); !bytes.Equal(e1, e0) && !reflect.DeepEqual(generic(t, e1), generic(t, e0)) {
				t.Fatalf("%v decoded differently: %+v vs %+v", typ, fast, slow)
			}
			e2, err := wire.Marshal(fast)
			if err != nil {
				if errors := err.Error(); !strings.Contains(errors, "raw value") {
					t.Fatalf("%v: %v", typ, err)
				}
				continue
			}
			if !bytes.Equal(e1, e2) && !reflect.DeepEqual(generic(t, e1), generic(t, e2)) {
				t.Fatalf("%v encodes differently: %x vs %x", typ, e2, e1)
			}
		}
	})
}

// TestCodecKnowsEveryField fails when a hot type gains a field: extend its
// hand-written encoder and decoder (codec_types.go) and the generator above,
// then the count here. (Body's rich fields go through reflection.)
func TestCodecKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		v      any
		fields int
	}{
		{wire.Request{}, 3}, {wire.Reply{}, 2}, {wire.ErrorFrame{}, 4}, {wire.GroupArgs{}, 1},
		{wire.SendArgs{}, 4}, {wire.SendResult{}, 3}, {wire.Message{}, 7}, {wire.Push{}, 2},
		{wire.Ping{}, 1}, {wire.TextBody{}, 2}, {wire.SystemBody{}, 6}, // SystemBody.Commerce: by reflection (plain, decodeMsgpack)
	} {
		if n := reflect.TypeOf(c.v).NumField(); n != c.fields {
			t.Errorf("%T has %d fields, the hand-written codec knows %d: extend wire/codec_types.go", c.v, n, c.fields)
		}
	}
}

// A system event with commerce details (a red packet's) survives the
// hand-written codec both ways: the details were once dropped.
func TestCodecKeepsCommerceDetails(t *testing.T) {
	m := &wire.Message{Seq: 7, Sender: "alice", Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{
		Event: "red_packet", Actor: "alice",
		Commerce: &wire.CommerceEvent{Packet: "p1", Amount: 888, Count: 8, Mode: "lucky", Only: []string{"bob"}, Expires: 1_700_000_000_000},
	}}}
	want := reflectEncode(t, m)
	got, err := wire.Marshal(m)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("encode: %v\nhand-written %x\nreflection   %x", err, got, want)
	}
	var back wire.Message
	if err := wire.Decode(want, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Body.System, m.Body.System) {
		t.Fatalf("decoded %+v, want %+v", back.Body.System.Commerce, m.Body.System.Commerce)
	}
}
