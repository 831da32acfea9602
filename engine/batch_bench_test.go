package engine_test

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

// BenchmarkPipelinedSends: one connection writes sends to one group in
// bursts of `burst` requests (one write each) and reads their replies:
// the batch path end to end (reader, batch message, grain, in-memory store,
// batch answer, awaiter, reply frames). Per op = per send; the allocations
// include the benchmark's own client side (frame building and reading).
func BenchmarkPipelinedSends(b *testing.B) {
	for _, burst := range []int{1, 16} {
		b.Run(fmt.Sprintf("burst=%d", burst), func(b *testing.B) {
			e := startEngine(b, testConfig(""))
			alice := dial(b, e, "alice", nil)
			g, err := alice.CreateGroup(ctxT(b), "bench")
			if err != nil {
				b.Fatal(err)
			}
			nc, err := net.Dial("tcp", e.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			r := bufio.NewReaderSize(nc, 64<<10)
			tok, _ := e.MintToken("alice")
			hello, _ := wire.EncodeFrame(wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: tok})
			if _, err := nc.Write(hello); err != nil {
				b.Fatal(err)
			}
			if ft, _, _, err := wire.ReadFrame(r, 1<<20, nil); err != nil || ft != wire.FrameWelcome {
				b.Fatalf("welcome: %s %v", ft, err)
			}
			args, _ := wire.Marshal(&wire.SendArgs{Group: g, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "hello, group"}}})
			var out, rbuf []byte
			id := uint32(0)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(burst, b.N-done)
				out = out[:0]
				for range n {
					id++
					if out, err = wire.AppendFrame(out, wire.FrameRequest, &wire.Request{ID: id, Op: wire.OpSend, Args: args}); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := nc.Write(out); err != nil {
					b.Fatal(err)
				}
				_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				for got := 0; got < n; {
					var ft wire.FrameType
					var body []byte
					ft, body, rbuf, err = wire.ReadFrame(r, 1<<20, rbuf)
					if err != nil {
						b.Fatal(err)
					}
					switch ft {
					case wire.FrameReply:
						got++
					case wire.FrameError:
						var ef wire.ErrorFrame
						_ = wire.Decode(body, &ef)
						b.Fatalf("a send failed: %+v", ef)
					}
				}
				done += n
			}
		})
	}
}
