package wsconn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzNextFrame: splitting any byte stream never panics, never returns a
// frame longer than max, and splitting a stream of valid frames, however it
// is cut into writes, gives back exactly those frames.
func FuzzNextFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2}, uint8(3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, uint8(1))
	f.Add([]byte{0, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		const max = 64
		// Arbitrary input: bounded results or ErrFrame.
		rest := data
		for i := 0; i <= len(data); i++ {
			frame, r, err := nextFrame(rest, max)
			if err != nil {
				if !errors.Is(err, ErrFrame) {
					t.Fatal(err)
				}
				break
			}
			if frame == nil {
				break
			}
			if len(frame) > max || len(r) >= len(rest) {
				t.Fatalf("frame %d bytes, rest %d of %d", len(frame), len(r), len(rest))
			}
			rest = r
		}
		// Valid frames made from data, cut at any point: the same frames.
		var want [][]byte
		var stream []byte
		for b := data; len(b) > 0; {
			n := min(int(b[0])%(max+1), len(b)-1)
			want = append(want, b[1:1+n])
			stream = binary.BigEndian.AppendUint32(stream, uint32(n))
			stream = append(stream, b[1:1+n]...)
			b = b[1+n:]
		}
		k := 0
		if len(stream) > 0 {
			k = int(cut) % (len(stream) + 1)
		}
		var got [][]byte
		var buf []byte
		for _, part := range [][]byte{stream[:k], stream[k:]} {
			buf = append(buf, part...)
			for {
				frame, r, err := nextFrame(buf, max)
				if err != nil {
					t.Fatal(err)
				}
				if frame == nil {
					break
				}
				got = append(got, append([]byte(nil), frame...))
				buf = r
			}
			buf = append([]byte(nil), buf...)
		}
		if len(buf) != 0 || len(got) != len(want) {
			t.Fatalf("%d frames and %d bytes left, want %d frames", len(got), len(buf), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("frame %d: %x, want %x", i, got[i], want[i])
			}
		}
	})
}
