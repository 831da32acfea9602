package wire_test

import (
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

// richSends are valid sends of every rich type (seeds for the fuzzers).
func richSends() []*wire.SendArgs {
	b := []struct {
		t wire.MsgType
		b wire.Body
	}{
		{wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: "https://img.example/a.jpg", W: 640, H: 480}}},
		{wire.MsgVideo, wire.Body{Video: &wire.VideoBody{ID: "v1", Title: "新视频", Cover: "https://c.example/v.jpg", Duration: 59}}},
		{wire.MsgLive, wire.Body{Live: &wire.LiveBody{Room: "r42", Title: "开播", Live: true}}},
		{wire.MsgLive, wire.Body{Live: &wire.LiveBody{Room: "r42", Title: "预告", Start: 1767225600000}}},
		{wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "sku", Title: "登山杖", Price: 12900, Currency: "CNY", URL: "https://shop.example/sku"}}},
		{wire.MsgSticker, wire.Body{Sticker: &wire.StickerBody{Pack: "cats", ID: "wave"}}},
		{wire.MsgLocation, wire.Body{Location: &wire.LocationBody{Lat: 31.23, Lng: 121.47, Name: "外滩"}}},
		{wire.MsgLink, wire.Body{Link: &wire.LinkBody{URL: "https://example.com/x", Title: "x"}}},
		{wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "shop.coupon", Data: map[string]wire.CustomValue{
			"code": {Kind: wire.CustomString, S: "SAVE5"}, "cents": {Kind: wire.CustomInt, I: -500}, "rate": {Kind: wire.CustomFloat, F: 0.5}, "new": {Kind: wire.CustomBool, B: true}}}}},
	}
	out := make([]*wire.SendArgs, len(b))
	for i, x := range b {
		out[i] = &wire.SendArgs{Group: exGroup, CMID: "c", Type: x.t, Body: x.b}
	}
	return out
}

func TestRichBodiesValid(t *testing.T) {
	for _, a := range richSends() {
		m := wire.Message{Type: a.Type, Body: a.Body}
		if err := m.Check(4096); err != nil {
			t.Errorf("type %d: %v", a.Type, err)
		}
		if line := m.Line(); line == "" || strings.HasPrefix(line, "[type") {
			t.Errorf("type %d renders %q", a.Type, line)
		}
		// Round trip through msgpack.
		b, err := wire.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back wire.SendArgs
		if err := wire.Decode(b, &back); err != nil {
			t.Fatalf("type %d: %v", a.Type, err)
		}
		m2 := wire.Message{Type: back.Type, Body: back.Body}
		if m2.Line() != m.Line() {
			t.Errorf("type %d: %q after a round trip, was %q", a.Type, m2.Line(), m.Line())
		}
	}
}

func TestRichBodiesBounds(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	url := "https://a.example/"
	cases := []struct {
		name string
		t    wire.MsgType
		b    wire.Body
	}{
		{"unknown type", 99, wire.Body{Text: &wire.TextBody{Text: "x"}}},
		{"newer type", 200, wire.Body{}},
		{"recalled from a client", wire.MsgRecalled, wire.Body{Recalled: &wire.RecalledBody{By: "x"}}},
		{"type without its body", wire.MsgImage, wire.Body{Video: &wire.VideoBody{ID: "v", Title: "t"}}},
		{"two bodies", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: url, W: 1, H: 1}, Text: &wire.TextBody{Text: "x"}}},
		{"text plus rich", wire.MsgText, wire.Body{Image: &wire.ImageBody{URL: url, W: 1, H: 1}, Text: &wire.TextBody{Text: "x"}}},
		{"image zero width", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: url, W: 0, H: 1}}},
		{"image too tall", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: url, W: 1, H: wire.MaxImageSide + 1}}},
		{"image no url", wire.MsgImage, wire.Body{Image: &wire.ImageBody{W: 1, H: 1}}},
		{"image ftp url", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: "ftp://x", W: 1, H: 1}}},
		{"image url with space", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: "https://x y", W: 1, H: 1}}},
		{"image url too long", wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: url + long(wire.MaxURLLen), W: 1, H: 1}}},
		{"video no id", wire.MsgVideo, wire.Body{Video: &wire.VideoBody{Title: "t"}}},
		{"video long title", wire.MsgVideo, wire.Body{Video: &wire.VideoBody{ID: "v", Title: long(wire.MaxTitleLen + 1)}}},
		{"video negative duration", wire.MsgVideo, wire.Body{Video: &wire.VideoBody{ID: "v", Title: "t", Duration: -1}}},
		{"video too long", wire.MsgVideo, wire.Body{Video: &wire.VideoBody{ID: "v", Title: "t", Duration: wire.MaxVideoSeconds + 1}}},
		{"live no room", wire.MsgLive, wire.Body{Live: &wire.LiveBody{Title: "t"}}},
		{"live long room", wire.MsgLive, wire.Body{Live: &wire.LiveBody{Room: long(wire.MaxRichIDLen + 1), Title: "t"}}},
		{"live negative start", wire.MsgLive, wire.Body{Live: &wire.LiveBody{Room: "r", Title: "t", Start: -1}}},
		{"product negative price", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "t", Price: -1, Currency: "CNY"}}},
		{"product huge price", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "t", Price: wire.MaxPriceCents + 1, Currency: "CNY"}}},
		{"product lower-case currency", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "t", Currency: "cny"}}},
		{"product no currency", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "t"}}},
		{"product bad image", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "t", Currency: "CNY", Image: "x"}}},
		{"sticker no pack", wire.MsgSticker, wire.Body{Sticker: &wire.StickerBody{ID: "s"}}},
		{"location lat", wire.MsgLocation, wire.Body{Location: &wire.LocationBody{Lat: 91}}},
		{"location NaN", wire.MsgLocation, wire.Body{Location: &wire.LocationBody{Lat: math.NaN()}}},
		{"location long address", wire.MsgLocation, wire.Body{Location: &wire.LocationBody{Address: long(wire.MaxRichDescLen + 1)}}},
		{"link no url", wire.MsgLink, wire.Body{Link: &wire.LinkBody{Title: "t"}}},
		{"link bad utf8", wire.MsgLink, wire.Body{Link: &wire.LinkBody{URL: url, Title: "\xff"}}},
		{"custom no type", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{}}},
		{"custom upper-case type", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "Shop"}}},
		{"custom long type", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: long(wire.MaxCustomType + 1)}}},
		{"custom long key", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "x", Data: map[string]wire.CustomValue{long(wire.MaxCustomKey + 1): {Kind: wire.CustomBool}}}}},
		{"custom long value", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "x", Data: map[string]wire.CustomValue{"k": {Kind: wire.CustomString, S: long(wire.MaxCustomString + 1)}}}}},
		{"custom inf", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "x", Data: map[string]wire.CustomValue{"k": {Kind: wire.CustomFloat, F: math.Inf(1)}}}}},
		{"custom too many", wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: "x", Data: func() map[string]wire.CustomValue {
			m := map[string]wire.CustomValue{}
			for i := 0; i <= wire.MaxCustomFields; i++ {
				m[long(i+1)] = wire.CustomValue{Kind: wire.CustomBool}
			}
			return m
		}()}}},
	}
	for _, c := range cases {
		m := wire.Message{Type: c.t, Body: c.b}
		err := m.Check(4096)
		if err == nil || wire.CodeOf(err) != wire.CodeBadRequest {
			t.Errorf("%s: Check = %v, want bad_request", c.name, err)
		}
	}
}

func TestCustomValueDecoding(t *testing.T) {
	enc := func(v any) []byte {
		b, err := msgpack.Marshal(map[string]any{"type": "x", "data": map[string]any{"k": v}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := map[string]struct {
		v    any
		want wire.CustomValue
	}{
		"string": {"hi", wire.CustomValue{Kind: wire.CustomString, S: "hi"}},
		"int":    {int64(-7), wire.CustomValue{Kind: wire.CustomInt, I: -7}},
		"uint":   {uint64(math.MaxInt64), wire.CustomValue{Kind: wire.CustomInt, I: math.MaxInt64}},
		"fixint": {3, wire.CustomValue{Kind: wire.CustomInt, I: 3}},
		"float":  {1.5, wire.CustomValue{Kind: wire.CustomFloat, F: 1.5}},
		"bool":   {true, wire.CustomValue{Kind: wire.CustomBool, B: true}},
	}
	for name, c := range good {
		var cb wire.CustomBody
		if err := wire.Decode(enc(c.v), &cb); err != nil || cb.Data["k"] != c.want {
			t.Errorf("%s: %+v %v", name, cb.Data["k"], err)
		}
	}
	bad := map[string]any{"uint64 over int64": uint64(math.MaxUint64), "map": map[string]int{"a": 1}, "array": []int{1},
		"nil": nil, "binary": []byte{1}}
	for name, v := range bad {
		var cb wire.CustomBody
		if err := wire.Decode(enc(v), &cb); err == nil {
			m := wire.Message{Type: wire.MsgCustom, Body: wire.Body{Custom: &cb}}
			if m.Check(4096) == nil {
				t.Errorf("%s accepted: %+v", name, cb.Data["k"])
			}
		}
	}
}

func TestThresholdWords(t *testing.T) {
	for thr, want := range map[wire.Threshold]string{
		{}:                                       "anyone",
		{Follow: true}:                           "follows the creator",
		{FollowDays: 7}:                          "followed the creator for 7 days",
		{Level: 3}:                               "fan-club level 3+",
		{Follow: true, FollowDays: 30, Level: 5}: "followed the creator for 30 days and fan-club level 5+",
	} {
		if got := thr.Words(); got != want {
			t.Errorf("%+v: %q want %q", thr, got, want)
		}
	}
}

// FuzzRichSend: a send's arguments from any bytes either fail to decode or
// decode into concrete types; Check never panics, and what passes it
// re-encodes and decodes to a message that passes again.
func FuzzRichSend(f *testing.F) {
	for _, a := range richSends() {
		f.Add(mustMarshal(f, a))
	}
	f.Add([]byte{0x84, 0xa4, 't', 'y', 'p', 'e', 0x6b})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > wire.DefaultMaxFrameSize {
			return
		}
		var a wire.SendArgs
		if wire.Decode(b, &a) != nil {
			return
		}
		m := wire.Message{Type: a.Type, Body: a.Body, CMID: a.CMID}
		if m.Check(4096) != nil {
			return
		}
		_ = m.Line()
		out, err := wire.Marshal(&m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back wire.Message
		if err := wire.Decode(out, &back); err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		if err := back.Check(4096); err != nil {
			t.Fatalf("re-encoded message fails Check: %v", err)
		}
	})
}
