package drbg

import (
	"crypto/sha256"
	"encoding/binary"
)

// Stream is a deterministic stream of 64-bit words. The zero value is not
// usable; make one with New.
type Stream struct {
	key [sha256.Size]byte
	ctr uint64
	buf [sha256.Size]byte
	off int // next unread byte of buf; len(buf) when empty
}

// New returns the stream for a domain (which keeps streams of different
// uses apart) and the seed parts, as the package doc specifies.
func New(domain string, parts ...[]byte) Stream {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(domain)))
	h.Write(n[:])
	h.Write([]byte(domain))
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var s Stream
	h.Sum(s.key[:0])
	s.off = len(s.buf)
	return s
}

// Uint64 returns the next word.
func (s *Stream) Uint64() uint64 {
	if s.off == len(s.buf) {
		var in [sha256.Size + 8]byte
		copy(in[:], s.key[:])
		binary.BigEndian.PutUint64(in[sha256.Size:], s.ctr)
		s.ctr++
		s.buf = sha256.Sum256(in[:])
		s.off = 0
	}
	v := binary.BigEndian.Uint64(s.buf[s.off:])
	s.off += 8
	return v
}

// Below returns a uniform integer in [0, n); it panics if n is 0.
func (s *Stream) Below(n uint64) uint64 {
	if n == 0 {
		panic("drbg: Below(0)")
	}
	t := -n % n
	for {
		if x := s.Uint64(); x >= t {
			return x % n
		}
	}
}
