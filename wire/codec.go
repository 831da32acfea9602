package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// Hand-written msgpack for the hot types (codec_types.go): the same bytes
// as the reflection encoder with compact integers (checked by
// TestCodecMatchesReflection), without its per-type lookups. Marshal,
// AppendFrame and Decode take this path for any value that implements
// Appender (encoding) or decoding below; every other type goes through
// vmihailenco/msgpack as before.

// Appender is a type with a hand-written msgpack encoder: AppendMsgpack
// appends the value's encoding to b.
type Appender interface {
	AppendMsgpack(b []byte) ([]byte, error)
}

// decoding is a type with a hand-written decoder. The body has passed
// Validate, so lengths are known to fit; the decoder still checks every
// length and integer range itself.
type decoding interface {
	decodeMsgpack(r *reader) error
}

// AppendMapHeader appends a map header of n entries.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

// AppendArrayHeader appends an array header of n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

// AppendString appends s as a msgpack string.
func AppendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 256:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

// AppendUint appends n in the fewest bytes (a compact integer).
func AppendUint(b []byte, n uint64) []byte {
	switch {
	case n <= math.MaxInt8:
		return append(b, byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xcc, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xcd, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), n)
}

// AppendInt appends n in the fewest bytes (a compact integer).
func AppendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0:
		return AppendUint(b, uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		return append(b, 0xd1, byte(n>>8), byte(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendNil appends nil.
func AppendNil(b []byte) []byte { return append(b, 0xc0) }

// AppendRaw appends an embedded value as Raw encodes it: nil when empty,
// an error unless it is exactly one valid msgpack value.
func AppendRaw(b []byte, r Raw) ([]byte, error) {
	if len(r) == 0 {
		return AppendNil(b), nil
	}
	if err := Validate(r); err != nil {
		return b, fmt.Errorf("wire: raw value: %w", err)
	}
	return append(b, r...), nil
}

// reader decodes msgpack from a validated body. Strings point into arena, a
// single copy of the body made on the first string, so a decode allocates
// once however many strings it holds (and the decoded value never aliases
// the caller's buffer).
type reader struct {
	b     []byte
	off   int
	arena []byte
}

func (r *reader) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, r.off)
}

func (r *reader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.fail("unexpected end")
	}
	return r.b[r.off], nil
}

// take returns the next n bytes.
func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, r.fail("length beyond the body")
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) n8() (int, error) {
	s, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return int(s[0]), nil
}

func (r *reader) n16() (int, error) {
	s, err := r.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(s)), nil
}

func (r *reader) n32() (int, error) {
	s, err := r.take(4)
	if err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(s)
	if uint64(n) > uint64(len(r.b)) { // no container or string can be longer than the body
		return 0, r.fail("length beyond the body")
	}
	return int(n), nil
}

// nil consumes a nil if one is next.
func (r *reader) nil() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

// mapLen reads a map header: -1 for nil. The number of entries is bounded by
// the bytes remaining (two per entry at least).
func (r *reader) mapLen() (int, error) { return r.header(0x80, 0xde, 0xdf, 2, "a map") }

// arrayLen reads an array header: -1 for nil. The number of elements is
// bounded by the bytes remaining (one per element at least).
func (r *reader) arrayLen() (int, error) { return r.header(0x90, 0xdc, 0xdd, 1, "an array") }

// header reads a map or array header: fix is the fixmap/fixarray base (its
// low 4 bits hold the count), c16 and c32 the 16- and 32-bit forms; each
// item takes at least per bytes, which bounds the count by what remains;
// what names the kind ("a map") in errors.
func (r *reader) header(fix, c16, c32 byte, per int, what string) (int, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	r.off++
	var n int
	switch {
	case c >= fix && c <= fix|0x0f:
		n = int(c & 0x0f)
	case c == c16:
		n, err = r.n16()
	case c == c32:
		n, err = r.n32()
	case c == 0xc0:
		return -1, nil
	default:
		r.off--
		return 0, r.fail("expected " + what)
	}
	if err == nil && per*n > len(r.b)-r.off {
		err = r.fail(what + " longer than the body") // "a map longer than the body"
	}
	return n, err
}

// strBytes reads a string (or binary, or nil as "") and returns its bytes
// in the body.
func (r *reader) strBytes() ([]byte, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	r.off++
	var n int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = int(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		n, err = r.n8()
	case c == 0xda || c == 0xc5:
		n, err = r.n16()
	case c == 0xdb || c == 0xc6:
		n, err = r.n32()
	case c == 0xc0:
		return nil, nil
	default:
		r.off--
		return nil, r.fail("expected a string")
	}
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// str reads a string into the arena.
func (r *reader) str() (string, error) {
	s, err := r.strBytes()
	if err != nil || len(s) == 0 {
		return "", err
	}
	return unsafe.String(&r.own(s)[0], len(s)), nil
}

// own returns the arena's copy of s, a slice of the body.
func (r *reader) own(s []byte) []byte {
	if r.arena == nil {
		r.arena = bytes.Clone(r.b)
	}
	start := cap(r.b) - cap(s) // s's offset in the body
	return r.arena[start : start+len(s) : start+len(s)]
}

// integer reads any msgpack integer (nil is 0) as a sign and magnitude.
func (r *reader) integer() (neg bool, mag uint64, err error) {
	c, err := r.peek()
	if err != nil {
		return false, 0, err
	}
	r.off++
	var s []byte
	switch {
	case c <= 0x7f:
		return false, uint64(c), nil
	case c >= 0xe0:
		return true, uint64(-int64(int8(c))), nil
	case c == 0xc0:
		return false, 0, nil
	case c == 0xcc, c == 0xd0:
		s, err = r.take(1)
	case c == 0xcd, c == 0xd1:
		s, err = r.take(2)
	case c == 0xce, c == 0xd2:
		s, err = r.take(4)
	case c == 0xcf, c == 0xd3:
		s, err = r.take(8)
	default:
		r.off--
		return false, 0, r.fail("expected an integer")
	}
	if err != nil {
		return false, 0, err
	}
	var u uint64
	for _, x := range s {
		u = u<<8 | uint64(x)
	}
	if c >= 0xd0 { // signed: sign-extend from its width
		shift := 64 - 8*uint(len(s))
		v := int64(u<<shift) >> shift
		if v < 0 {
			return true, uint64(-(v + 1)) + 1, nil
		}
		return false, uint64(v), nil
	}
	return false, u, nil
}

// uint reads an unsigned integer no larger than max.
func (r *reader) uint(max uint64) (uint64, error) {
	neg, m, err := r.integer()
	if err != nil {
		return 0, err
	}
	if (neg && m != 0) || m > max {
		return 0, r.fail("integer out of range")
	}
	return m, nil
}

// int64 reads a signed 64-bit integer.
func (r *reader) int64() (int64, error) {
	neg, m, err := r.integer()
	if err != nil {
		return 0, err
	}
	if neg {
		if m > 1<<63 {
			return 0, r.fail("integer out of range")
		}
		return int64(-m), nil // -(1<<63) wraps to itself
	}
	if m > math.MaxInt64 {
		return 0, r.fail("integer out of range")
	}
	return int64(m), nil
}

// bool reads true, false or nil (false).
func (r *reader) bool() (bool, error) {
	c, err := r.peek()
	if err != nil {
		return false, err
	}
	switch c {
	case 0xc3:
		r.off++
		return true, nil
	case 0xc2, 0xc0:
		r.off++
		return false, nil
	}
	return false, r.fail("expected a bool")
}

// raw returns the next value's bytes (a copy in the arena); nil for nil, as
// Raw decodes it.
func (r *reader) raw() ([]byte, error) {
	if r.nil() {
		return nil, nil
	}
	n, err := skip(r.b[r.off:], 1)
	if err != nil {
		return nil, err
	}
	s, err := r.take(n)
	if err != nil {
		return nil, err
	}
	return r.own(s), nil
}

// skipValue skips the next value (an unknown key's).
func (r *reader) skipValue() error {
	n, err := skip(r.b[r.off:], 1)
	if err != nil {
		return err
	}
	_, err = r.take(n)
	return err
}

// fields walks a map, calling field with each key's bytes; field reads the
// value and returns false for a key it does not know, which is skipped.
// A nil map decodes as no fields.
func (r *reader) fields(field func(key []byte) (bool, error)) error {
	n, err := r.mapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		k, err := r.strBytes()
		if err != nil {
			return err
		}
		known, err := field(k)
		if err != nil {
			return err
		}
		if !known {
			if err := r.skipValue(); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendReflect appends v encoded by reflection, for the parts of a hot type
// the hand-written codec leaves to vmihailenco/msgpack.
func appendReflect(b []byte, v any) ([]byte, error) {
	e := encPool.Get().(*encoder)
	defer encPool.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, e.buf.Bytes()...), nil
}

// reflect decodes the value from r.off to end into v by reflection (from
// the arena's copy, so that v does not alias the body).
func (r *reader) reflect(end int, v any) error {
	if end < r.off || end > len(r.b) {
		return r.fail("bad value bounds")
	}
	b := r.own(r.b[r.off:end])
	if err := msgpack.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r.off = end
	return nil
}

// decodeFast decodes body (already validated) into v.
func decodeFast(body []byte, v decoding) error {
	r := reader{b: body}
	var err error
	// Concrete calls, so that the reader stays on the stack.
	switch v := v.(type) {
	case *Request:
		err = v.decodeMsgpack(&r)
	case *Reply:
		err = v.decodeMsgpack(&r)
	case *SendArgs:
		err = v.decodeMsgpack(&r)
	case *SendResult:
		err = v.decodeMsgpack(&r)
	case *GroupArgs:
		err = v.decodeMsgpack(&r)
	case *Message:
		err = v.decodeMsgpack(&r)
	case *Push:
		err = v.decodeMsgpack(&r)
	case *ErrorFrame:
		err = v.decodeMsgpack(&r)
	case *Ping:
		err = v.decodeMsgpack(&r)
	default:
		return fmt.Errorf("wire: no hand-written decoder for %T", v)
	}
	if err != nil {
		return err
	}
	if r.off != len(body) {
		return ErrTrailing
	}
	return nil
}
