package wire_test

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/qunchat/qun/wire"
)

func BenchmarkEncodePush(b *testing.B) {
	for _, n := range []int{1, 16} {
		p := pushOf(n)
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				f, err := wire.EncodeFrame(wire.FramePush, p)
				if err != nil {
					b.Fatal(err)
				}
				size = len(f)
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkAppendFramePush appends into a reused buffer, as a writer that
// batches frames would.
func BenchmarkAppendFramePush(b *testing.B) {
	p := pushOf(16)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = wire.AppendFrame(buf[:0], wire.FramePush, p)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkReadFrameDecodeRequest is the server's per-request path: read a
// frame into a reused buffer, decode the Request, then its SendArgs.
func BenchmarkReadFrameDecodeRequest(b *testing.B) {
	f := mustFrame(b, wire.FrameRequest, &wire.Request{ID: 7, Op: wire.OpSend, Args: mustMarshal(b, sendArgs())})
	const perStream = 64
	stream := bytes.Repeat(f, perStream)
	src := bytes.NewReader(stream)
	r := bufio.NewReaderSize(src, 16<<10)
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	i := 0
	for b.Loop() {
		if i%perStream == 0 {
			src.Reset(stream)
			r.Reset(src)
		}
		i++
		ft, body, nbuf, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, buf)
		buf = nbuf
		if err != nil || ft != wire.FrameRequest {
			b.Fatal(err, ft)
		}
		var req wire.Request
		if err := wire.Decode(body, &req); err != nil {
			b.Fatal(err)
		}
		var a wire.SendArgs
		if err := wire.Decode(req.Args, &a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePush(b *testing.B) {
	for _, n := range []int{1, 16} {
		bd := body(b, mustFrame(b, wire.FramePush, pushOf(n)))
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bd)))
			for b.Loop() {
				var p wire.Push
				if err := wire.Decode(bd, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	cases := []struct {
		name string
		b    []byte
	}{
		{"request", body(b, mustFrame(b, wire.FrameRequest, &wire.Request{ID: 7, Op: wire.OpSend, Args: mustMarshal(b, sendArgs())}))},
		{"push16", body(b, mustFrame(b, wire.FramePush, pushOf(16)))},
		{"hostile", []byte{0xdd, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.b)))
			for b.Loop() {
				_ = wire.Validate(c.b)
			}
		})
	}
}
