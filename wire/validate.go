package wire

import (
	"encoding/binary"
	"fmt"
)

// MaxDepth bounds the nesting of maps and arrays in a body.
const MaxDepth = 16

// Validate walks one msgpack value that must fill b exactly. It rejects a
// declared length of a map, array, string or binary that exceeds the bytes
// remaining (each element needs at least one byte), nesting deeper than
// MaxDepth, extension types and the never-used code 0xc1. It allocates nothing.
func Validate(b []byte) error {
	n, err := skip(b, 0)
	if err != nil {
		return err
	}
	if n != len(b) {
		return ErrTrailing
	}
	return nil
}

func need(b []byte, n int) error {
	if n > len(b) || n < 0 {
		return fmt.Errorf("%w: needs %d bytes, %d remain", ErrMalformed, n, len(b))
	}
	return nil
}

// skip returns how many bytes the value at the start of b occupies.
func skip(b []byte, depth int) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0: // fixint
		return 1, nil
	case c >= 0x80 && c <= 0x8f: // fixmap
		return container(b, 1, int(c&0x0f)*2, depth)
	case c >= 0x90 && c <= 0x9f: // fixarray
		return container(b, 1, int(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf: // fixstr
		n := 1 + int(c&0x1f)
		return n, need(b, n)
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return 1, nil
	case 0xcc, 0xd0: // uint8, int8
		return 2, need(b, 2)
	case 0xcd, 0xd1: // uint16, int16
		return 3, need(b, 3)
	case 0xce, 0xd2, 0xca: // uint32, int32, float32
		return 5, need(b, 5)
	case 0xcf, 0xd3, 0xcb: // uint64, int64, float64
		return 9, need(b, 9)
	case 0xc4, 0xd9: // bin8, str8
		if err := need(b, 2); err != nil {
			return 0, err
		}
		n := 2 + int(b[1])
		return n, need(b, n)
	case 0xc5, 0xda: // bin16, str16
		if err := need(b, 3); err != nil {
			return 0, err
		}
		n := 3 + int(binary.BigEndian.Uint16(b[1:]))
		return n, need(b, n)
	case 0xc6, 0xdb: // bin32, str32
		if err := need(b, 5); err != nil {
			return 0, err
		}
		l := binary.BigEndian.Uint32(b[1:])
		if uint64(l) > uint64(len(b)) {
			return 0, fmt.Errorf("%w: declared length %d, %d bytes remain", ErrMalformed, l, len(b))
		}
		n := 5 + int(l)
		return n, need(b, n)
	case 0xdc: // array16
		if err := need(b, 3); err != nil {
			return 0, err
		}
		return container(b, 3, int(binary.BigEndian.Uint16(b[1:])), depth)
	case 0xdd: // array32
		if err := need(b, 5); err != nil {
			return 0, err
		}
		l := binary.BigEndian.Uint32(b[1:])
		if uint64(l) > uint64(len(b)) {
			return 0, fmt.Errorf("%w: declared %d elements, %d bytes remain", ErrMalformed, l, len(b))
		}
		return container(b, 5, int(l), depth)
	case 0xde: // map16
		if err := need(b, 3); err != nil {
			return 0, err
		}
		return container(b, 3, 2*int(binary.BigEndian.Uint16(b[1:])), depth)
	case 0xdf: // map32
		if err := need(b, 5); err != nil {
			return 0, err
		}
		l := binary.BigEndian.Uint32(b[1:])
		if uint64(l)*2 > uint64(len(b)) {
			return 0, fmt.Errorf("%w: declared %d entries, %d bytes remain", ErrMalformed, l, len(b))
		}
		return container(b, 5, 2*int(l), depth)
	}
	// 0xc1 (never used) and extension types 0xc7–0xc9, 0xd4–0xd8.
	return 0, fmt.Errorf("%w: unsupported msgpack code 0x%02x", ErrMalformed, c)
}

func container(b []byte, hdr, items, depth int) (int, error) {
	if depth >= MaxDepth {
		return 0, ErrTooDeep
	}
	// Every item takes at least one byte: refuse before walking.
	if err := need(b, hdr+items); err != nil {
		return 0, err
	}
	off := hdr
	for i := 0; i < items; i++ {
		n, err := skip(b[off:], depth+1)
		if err != nil {
			return 0, err
		}
		off += n
	}
	return off, nil
}
