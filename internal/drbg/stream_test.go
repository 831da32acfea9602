package drbg

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// TestSpec recomputes the first words from the package doc's definition.
func TestSpec(t *testing.T) {
	seed := []byte("seed")
	var pre []byte
	for _, x := range [][]byte{[]byte("test-domain"), seed} {
		pre = binary.BigEndian.AppendUint64(pre, uint64(len(x)))
		pre = append(pre, x...)
	}
	key := sha256.Sum256(pre)
	s := New("test-domain", seed)
	for blk := uint64(0); blk < 3; blk++ {
		b := sha256.Sum256(binary.BigEndian.AppendUint64(key[:], blk))
		for w := 0; w < 4; w++ {
			if got, want := s.Uint64(), binary.BigEndian.Uint64(b[8*w:]); got != want {
				t.Fatalf("block %d word %d = %x, want %x", blk, w, got, want)
			}
		}
	}
}

// TestDomainsDiffer checks that the domain and the part boundaries matter.
func TestDomainsDiffer(t *testing.T) {
	a, b, c := New("a", []byte("bc")), New("ab", []byte("c")), New("a", []byte("b"), []byte("c"))
	x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
	if x == y || y == z || x == z {
		t.Fatalf("streams collide: %x %x %x", x, y, z)
	}
}

func TestBelow(t *testing.T) {
	s := New("below")
	for _, n := range []uint64{1, 2, 3, 7, 200, 1 << 63, 1<<63 + 1, ^uint64(0)} {
		for i := 0; i < 1000; i++ {
			if v := s.Below(n); v >= n {
				t.Fatalf("Below(%d) = %d", n, v)
			}
		}
	}
	// Every value of a small range turns up, about equally often.
	var counts [6]int
	for i := 0; i < 60000; i++ {
		counts[s.Below(6)]++
	}
	for v, c := range counts {
		if c < 9000 || c > 11000 {
			t.Fatalf("Below(6) gave %d %d times of 60000", v, c)
		}
	}
}

func BenchmarkBelow(b *testing.B) {
	s := New("bench")
	b.ReportAllocs()
	for b.Loop() {
		s.Below(200)
	}
}
