package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

// decodeTargets are the concrete types decoders meet hostile bytes with.
func decodeTargets() []func() any {
	return []func() any{
		func() any { return new(wire.Request) },
		func() any { return new(wire.ResyncArgs) },
		func() any { return new(wire.SendArgs) },
		func() any { return new(wire.Push) },
		func() any { return new(wire.Hello) },
		func() any { return new(wire.HistoryResult) },
		func() any { return new(wire.Reply) },
	}
}

func TestValidateRejectsHostile(t *testing.T) {
	for _, c := range hostile() {
		t.Run(c.name, func(t *testing.T) {
			err := wire.Validate(c.b)
			if err == nil {
				t.Fatalf("Validate(%x) accepted", c.b)
			}
			if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrTooDeep) && !errors.Is(err, wire.ErrTrailing) {
				t.Fatalf("Validate(%x) = %v: not one of the wire errors", c.b, err)
			}
			for _, target := range decodeTargets() {
				v := target()
				if err := wire.Decode(c.b, v); err == nil {
					t.Fatalf("Decode(%x, %T) accepted", c.b, v)
				}
			}
		})
	}
}

func TestValidateErrorKinds(t *testing.T) {
	tests := []struct {
		b    []byte
		want error
	}{
		{[]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, wire.ErrMalformed},
		{[]byte{0xc1}, wire.ErrMalformed},
		{[]byte{0xd4, 0x01, 0x00}, wire.ErrMalformed},
		{nested([]byte{0x91}, wire.MaxDepth+1, []byte{0xc0}), wire.ErrTooDeep},
		{nested([]byte{0x81, 0xa1, 'k'}, wire.MaxDepth+1, []byte{0x01}), wire.ErrTooDeep},
		{[]byte{0xc0, 0xc0}, wire.ErrTrailing},
		{nil, wire.ErrMalformed},
	}
	for _, tc := range tests {
		if err := wire.Validate(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("Validate(%x) = %v, want %v", tc.b, err, tc.want)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	str := func(n int) []byte {
		var e bytes.Buffer
		if err := msgpack.NewEncoder(&e).EncodeString(string(bytes.Repeat([]byte{'x'}, n))); err != nil {
			t.Fatal(err)
		}
		return e.Bytes()
	}
	bin := func(n int) []byte {
		var e bytes.Buffer
		if err := msgpack.NewEncoder(&e).EncodeBytes(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		return e.Bytes()
	}
	valid := map[string][]byte{
		"nil": {0xc0}, "false": {0xc2}, "true": {0xc3},
		"fixint 0": {0x00}, "fixint 127": {0x7f}, "negative fixint -1": {0xff}, "negative fixint -32": {0xe0},
		"uint8": {0xcc, 0xff}, "uint16": {0xcd, 0xff, 0xff}, "uint32": {0xce, 1, 2, 3, 4},
		"uint64": {0xcf, 1, 2, 3, 4, 5, 6, 7, 8}, "int8": {0xd0, 0x80}, "int16": {0xd1, 0, 1},
		"int32": {0xd2, 0, 0, 0, 1}, "int64": {0xd3, 0, 0, 0, 0, 0, 0, 0, 1},
		"float32": {0xca, 0x3f, 0x80, 0, 0}, "float64": {0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0},
		"fixstr empty": {0xa0}, "fixstr 31": str(31), "str8 255": str(255), "str16": str(256), "str32": str(70000),
		"str8 non-minimal": {0xd9, 0x01, 'x'}, "str32 non-minimal": {0xdb, 0, 0, 0, 1, 'x'},
		"bin8": bin(3), "bin16": bin(300), "bin32": bin(70000),
		"fixarray empty": {0x90}, "fixmap empty": {0x80},
		"array16": cat([]byte{0xdc, 0, 16}, bytes.Repeat([]byte{0xc0}, 16)),
		"array32": {0xdd, 0, 0, 0, 2, 0xc2, 0xc3}, "map16": {0xde, 0, 1, 0xa1, 'k', 0x01},
		"map32": {0xdf, 0, 0, 0, 1, 0xa1, 'k', 0x01}, "array32 empty": {0xdd, 0, 0, 0, 0},
		"map with non-string keys": {0x82, 0x01, 0x02, 0x90, 0x80},
		"max depth arrays":         nested([]byte{0x91}, wire.MaxDepth, []byte{0xc0}),
		"max depth maps":           nested([]byte{0x81, 0xa1, 'k'}, wire.MaxDepth, []byte{0x01}),
		"max depth empty":          nested([]byte{0x91}, wire.MaxDepth-1, []byte{0x90}),
	}
	for name, b := range valid {
		if err := wire.Validate(b); err != nil {
			t.Errorf("%s: Validate(%.40x) = %v", name, b, err)
		}
		// msgpack itself agrees the value fills b exactly.
		d := msgpack.NewDecoder(bytes.NewReader(b))
		if err := d.Skip(); err != nil || d.Buffered().(*bytes.Reader).Len() != 0 {
			t.Errorf("%s: msgpack Skip: %v", name, err)
		}
	}
	for _, c := range frameCases(t) {
		if err := wire.Validate(body(t, mustFrame(t, c.t, c.v))); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestValidateAllocatesNothing(t *testing.T) {
	bodies := [][]byte{body(t, mustFrame(t, wire.FramePush, pushOf(16))), mustMarshal(t, sendArgs()),
		nested([]byte{0x91}, wire.MaxDepth, []byte{0xc0})}
	for _, b := range bodies {
		if n := testing.AllocsPerRun(100, func() { _ = wire.Validate(b) }); n != 0 {
			t.Errorf("Validate(%.20x...) allocated %v times", b, n)
		}
	}
}

// TestHostileFramesAllocateLittle decodes the 5-byte frames that make plain
// msgpack allocate gigabytes, and checks what Decode allocated in total.
func TestHostileFramesAllocateLittle(t *testing.T) {
	var small []hostileCase
	for _, c := range hostile() {
		if len(c.b) <= 32 {
			small = append(small, c)
		}
	}
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		for _, c := range small {
			for _, target := range decodeTargets() {
				_ = wire.Decode(c.b, target())
			}
		}
	}
	runtime.ReadMemStats(&after)
	perPass := (after.TotalAlloc - before.TotalAlloc) / runs
	// One pass decodes every body into every target once; a single trusted
	// length would have cost gigabytes (or killed the process).
	if perPass > 1<<20 {
		t.Fatalf("decoding %d hostile bodies into %d types allocated %d bytes", len(small), len(decodeTargets()), perPass)
	}
	t.Logf("decoding %d hostile bodies into %d types allocated %d bytes (errors only)", len(small), len(decodeTargets()), perPass)
	for _, c := range small {
		n := testing.AllocsPerRun(20, func() { _ = wire.Decode(c.b, new(wire.Request)) })
		if n > 8 { // the error value; no decoder state
			t.Errorf("%s: %v allocations", c.name, n)
		}
	}
}

// TestValidatedSliceAmplification measures the worst case Validate lets
// through: msgpack v5.4.1 sizes a slice by its declared length (its
// allocation cap is disabled by a flag bug, decode_slice.go:104, and
// growSliceValue allocates the slice twice), so a 64 KiB frame declaring
// 65535 one-byte elements allocates 2 x 65535 full Go values. Validate
// bounds this by the frame size; this test pins the bound.
func TestValidatedSliceAmplification(t *testing.T) {
	key := func(k string) []byte { return append([]byte{0xa0 | byte(len(k))}, k...) }
	n := 65535
	msgs := cat([]byte{0xdc, byte(n >> 8), byte(n)}, bytes.Repeat([]byte{0xc0}, n))
	push := cat([]byte{0x82}, key("g"), key("x"), key("msgs"), msgs)
	if len(push)+1 > wire.DefaultMaxFrameSize+16 {
		t.Fatalf("test body %d bytes", len(push))
	}
	mentions := cat([]byte{0x81}, key("body"), []byte{0x81}, key("text"), []byte{0x82}, key("t"), key("x"), key("at"), msgs)
	for _, c := range []struct {
		name   string
		b      []byte
		v      func() any
		expect int
	}{
		{"push msgs", push, func() any { return new(wire.Push) }, 2 * n * int(unsafe.Sizeof(wire.Message{}))},
		{"send mentions", mentions, func() any { return new(wire.SendArgs) }, n * int(unsafe.Sizeof(""))},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v := c.v()
		if err := wire.Decode(c.b, v); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		runtime.ReadMemStats(&after)
		got := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d-byte body -> %d bytes allocated (%.0fx)", c.name, len(c.b), got, float64(got)/float64(len(c.b)))
		if got > uint64(c.expect)+1<<20 {
			t.Errorf("%s: %d bytes allocated for a %d-byte body, expected about %d", c.name, got, len(c.b), c.expect)
		}
		runtime.KeepAlive(v)
	}
	// For comparison, the Check that follows rejects the mentions at once.
	var a wire.SendArgs
	_ = wire.Decode(mentions, &a)
	m := wire.Message{Type: a.Type, Body: a.Body}
	m.Type = wire.MsgText
	if err := m.Check(4096); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("Check: %v", err)
	}
}

func ExampleValidate() {
	// A 5-byte body declaring an array of 4,294,967,295 elements.
	err := wire.Validate([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	fmt.Println(err)
	// Output: wire: malformed msgpack: declared 4294967295 elements, 5 bytes remain
}
