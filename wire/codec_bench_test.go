package wire_test

import (
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

func sendArgs1() *wire.SendArgs {
	return &wire.SendArgs{Group: exGroup, CMID: "c-0001", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "the quick brown fox jumps over the lazy dog, 100 bytes of payload or so......................"}}}
}

// hotValues are the hot types as the send path carries them.
func hotValues(tb testing.TB) []struct {
	name string
	v    any
	new  func() any
} {
	args := mustMarshal(tb, sendArgs1())
	m := textMsg(1234567, "alice", "c-0001", "the quick brown fox jumps over the lazy dog, 100 bytes of payload or so......................")
	return []struct {
		name string
		v    any
		new  func() any
	}{
		{"Request", &wire.Request{ID: 77, Op: wire.OpSend, Args: args}, func() any { return new(wire.Request) }},
		{"Reply", &wire.Reply{ID: 77, Body: mustMarshal(tb, wire.SendResult{Seq: 1234567, Time: exTime})}, func() any { return new(wire.Reply) }},
		{"SendArgs", sendArgs1(), func() any { return new(wire.SendArgs) }},
		{"SendResult", &wire.SendResult{Seq: 1234567, Time: exTime}, func() any { return new(wire.SendResult) }},
		{"Message", &m, func() any { return new(wire.Message) }},
		{"Push", pushOf(1), func() any { return new(wire.Push) }},
	}
}

// BenchmarkCodecEncode appends each hot type into a reused buffer with the
// hand-written encoder, and (reflect) with vmihailenco/msgpack as before.
func BenchmarkCodecEncode(b *testing.B) {
	for _, h := range hotValues(b) {
		b.Run(h.name, func(b *testing.B) {
			a := h.v.(wire.Appender)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = a.AppendMsgpack(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
		b.Run(h.name+"/reflect", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				reflectEncode(b, h.v)
			}
		})
	}
}

// BenchmarkCodecDecode decodes each hot type with wire.Decode (validation
// plus the hand-written decoder), and (reflect) with msgpack.Unmarshal.
func BenchmarkCodecDecode(b *testing.B) {
	for _, h := range hotValues(b) {
		body := mustMarshal(b, h.v)
		b.Run(h.name, func(b *testing.B) {
			v := h.new()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := wire.Decode(body, v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(h.name+"/reflect", func(b *testing.B) {
			v := h.new()
			b.ReportAllocs()
			for b.Loop() {
				if err := msgpack.Unmarshal(body, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
