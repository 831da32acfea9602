package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// Strict decoding. msgpack narrows an integer to its field's width without
// a word (an op of 65536+1 becomes op 1, a role of 257 becomes 1, -1 becomes
// 2^64-1 in an unsigned field) and decodes an array into a struct field by
// field. Before a body is decoded, check walks it alongside the type it is
// decoded into and refuses:
//   - an integer outside its field's range (never narrowed), a negative
//     number in an unsigned field, a float or any other kind in an integer
//     field;
//   - a non-finite float;
//   - anything but a map (or nil) where a struct is expected, anything but
//     an array (or nil) where a slice is expected, a map key that is not a
//     string where a struct is expected;
//   - with strings set (client arguments, DecodeArgs), a string that fails
//     its field's validation (see CheckField).
//
// Unknown map keys are skipped (after Validate bounded them). A type's plan
// is built once and cached.

// Strict decoding errors, wrapped with the field at fault.
var (
	ErrOutOfRange = errors.New("wire: integer out of range")
	ErrWrongType  = errors.New("wire: value of the wrong type")
	ErrBadString  = errors.New("wire: invalid string")
)

type planKind uint8

const (
	pSkip planKind = iota // anything Validate accepted (Raw, custom decoders)
	pInt
	pUint
	pFloat
	pBool
	pString
	pBytes
	pStruct
	pSlice
	pMap
	pPtr
)

type plan struct {
	kind   planKind
	min    int64  // pInt
	max    uint64 // pInt (as the positive bound), pUint
	field  Field  // pString: how to check it
	fields map[string]*plan
	elem   *plan // pSlice, pMap value, pPtr
	key    *plan // pMap
}

type planKey struct {
	t reflect.Type
	f Field
}

var plans sync.Map // reflect.Type -> *plan, for top-level values (FieldText)

var customDecoder = reflect.TypeOf((*msgpack.CustomDecoder)(nil)).Elem()

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := buildPlan(t, FieldText, map[planKey]*plan{})
	plans.Store(t, p)
	return p
}

func buildPlan(t reflect.Type, f Field, building map[planKey]*plan) *plan {
	k := planKey{t, f}
	if p, ok := building[k]; ok {
		return p
	}
	p := &plan{}
	building[k] = p
	if t.Implements(customDecoder) || reflect.PointerTo(t).Implements(customDecoder) {
		p.kind = pSkip
		return p
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		p.kind, p.min, p.max = pInt, -1<<(bits-1), uint64(1)<<(bits-1)-1
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		bits := t.Bits()
		p.kind, p.max = pUint, math.MaxUint64>>(64-bits)
	case reflect.Float32, reflect.Float64:
		p.kind = pFloat
	case reflect.Bool:
		p.kind = pBool
	case reflect.String:
		p.kind, p.field = pString, f
	case reflect.Pointer:
		p.kind, p.elem = pPtr, buildPlan(t.Elem(), f, building)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p.kind = pBytes
			break
		}
		p.kind, p.elem = pSlice, buildPlan(t.Elem(), f, building)
	case reflect.Map:
		p.kind = pMap
		p.key = buildPlan(t.Key(), mapKeyField(f), building)
		p.elem = buildPlan(t.Elem(), FieldText, building)
	case reflect.Struct:
		p.kind, p.fields = pStruct, map[string]*plan{}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name := msgpackName(sf)
			if name == "-" {
				continue
			}
			p.fields[name] = buildPlan(sf.Type, FieldOf(name), building)
		}
	default:
		p.kind = pSkip
	}
	return p
}

func msgpackName(sf reflect.StructField) string {
	tag := sf.Tag.Get("msgpack")
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			tag = tag[:i]
			break
		}
	}
	if tag == "" {
		return sf.Name
	}
	return tag
}

// check walks the value at the start of b (already passed Validate) against
// p and returns its length.
func check(b []byte, p *plan, strings bool, top bool, key []byte) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
	}
	c := b[0]
	if c == 0xc0 && !top { // nil: the zero value
		return 1, nil
	}
	switch p.kind {
	case pSkip:
		if strings { // an opaque value in client arguments: its strings are text
			return textsIn(b, key)
		}
		return skip(b, 0)
	case pPtr:
		return check(b, p.elem, strings, top, key)
	case pInt, pUint:
		n, neg, u, ok := readInt(b)
		if !ok {
			return 0, fmt.Errorf("%w: %s must be an integer", ErrWrongType, orBody(key))
		}
		if p.kind == pUint {
			if neg || u > p.max {
				return 0, fmt.Errorf("%w: %s", ErrOutOfRange, orBody(key))
			}
		} else if neg && int64(u) < p.min || !neg && u > p.max {
			return 0, fmt.Errorf("%w: %s", ErrOutOfRange, orBody(key))
		}
		return n, nil
	case pFloat:
		switch c {
		case 0xca:
			if len(b) < 5 {
				return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
			}
			f := math.Float32frombits(binary.BigEndian.Uint32(b[1:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return 0, fmt.Errorf("%w: %s is not finite", ErrOutOfRange, orBody(key))
			}
			return 5, nil
		case 0xcb:
			if len(b) < 9 {
				return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
			}
			f := math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, fmt.Errorf("%w: %s is not finite", ErrOutOfRange, orBody(key))
			}
			return 9, nil
		}
		if n, _, _, ok := readInt(b); ok {
			return n, nil
		}
		return 0, fmt.Errorf("%w: %s must be a number", ErrWrongType, orBody(key))
	case pBool:
		if c == 0xc2 || c == 0xc3 {
			return 1, nil
		}
		return 0, fmt.Errorf("%w: %s must be a boolean", ErrWrongType, orBody(key))
	case pString, pBytes:
		s, n, ok := readStr(b)
		if !ok {
			return 0, fmt.Errorf("%w: %s must be a string", ErrWrongType, orBody(key))
		}
		if strings && p.kind == pString {
			if err := p.field.check(s); err != nil {
				return 0, fmt.Errorf("%w: %s: %v", ErrBadString, orBody(key), err)
			}
		}
		return n, nil
	case pSlice:
		off, items, ok := arrayHeader(b)
		if !ok {
			return 0, fmt.Errorf("%w: %s must be an array", ErrWrongType, orBody(key))
		}
		for i := 0; i < items; i++ {
			n, err := check(b[off:], p.elem, strings, false, key)
			if err != nil {
				return 0, err
			}
			off += n
		}
		return off, nil
	case pStruct, pMap:
		off, items, ok := mapHeader(b)
		if !ok {
			return 0, fmt.Errorf("%w: %s must be a map", ErrWrongType, orBody(key))
		}
		for i := 0; i < items; i++ {
			var vp *plan
			vkey := key
			if p.kind == pStruct {
				k, n, ok := readStr(b[off:])
				if !ok {
					return 0, fmt.Errorf("%w: %s has a key that is not a string", ErrWrongType, orBody(key))
				}
				off += n
				vp, vkey = p.fields[string(k)], k
			} else {
				n, err := check(b[off:], p.key, strings, false, key)
				if err != nil {
					return 0, err
				}
				off += n
				vp = p.elem
			}
			var n int
			var err error
			if vp == nil {
				n, err = skip(b[off:], 0)
			} else {
				n, err = check(b[off:], vp, strings, false, vkey)
			}
			if err != nil {
				return 0, err
			}
			off += n
		}
		return off, nil
	}
	return skip(b, 0)
}

// orBody names the field at fault in an error (only then is it copied).
func orBody(key []byte) string {
	if len(key) == 0 {
		return "body"
	}
	return fmt.Sprintf("%q", key)
}

// readInt reads an integer: its length, whether it is negative, and its
// value (two's complement for negatives).
func readInt(b []byte) (n int, neg bool, u uint64, ok bool) {
	c := b[0]
	switch {
	case c <= 0x7f:
		return 1, false, uint64(c), true
	case c >= 0xe0:
		v := int64(int8(c))
		return 1, true, uint64(v), true
	}
	var size int
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2:
		size = 4
	case 0xcf, 0xd3:
		size = 8
	}
	if size == 0 || len(b) < 1+size {
		return 0, false, 0, false
	}
	d := b[1 : 1+size]
	var raw uint64
	for _, x := range d {
		raw = raw<<8 | uint64(x)
	}
	if c >= 0xd0 { // signed: sign-extend
		shift := 64 - 8*uint(size)
		v := int64(raw<<shift) >> shift
		return 1 + size, v < 0, uint64(v), true
	}
	return 1 + size, false, raw, true
}

// readStr reads a str or bin value.
func readStr(b []byte) ([]byte, int, bool) {
	c := b[0]
	var l, h int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		l, h = int(c&0x1f), 1
	case (c == 0xd9 || c == 0xc4) && len(b) >= 2:
		l, h = int(b[1]), 2
	case (c == 0xda || c == 0xc5) && len(b) >= 3:
		l, h = int(binary.BigEndian.Uint16(b[1:])), 3
	case (c == 0xdb || c == 0xc6) && len(b) >= 5:
		u := binary.BigEndian.Uint32(b[1:])
		if uint64(u) > uint64(len(b)) {
			return nil, 0, false
		}
		l, h = int(u), 5
	default:
		return nil, 0, false
	}
	if h+l > len(b) {
		return nil, 0, false
	}
	return b[h : h+l], h + l, true
}

func arrayHeader(b []byte) (hdr, items int, ok bool) {
	c := b[0]
	switch {
	case c >= 0x90 && c <= 0x9f:
		return 1, int(c & 0x0f), true
	case c == 0xdc && len(b) >= 3:
		return 3, int(binary.BigEndian.Uint16(b[1:])), true
	case c == 0xdd && len(b) >= 5:
		u := binary.BigEndian.Uint32(b[1:])
		if uint64(u) > uint64(len(b)) {
			return 0, 0, false
		}
		return 5, int(u), true
	}
	return 0, 0, false
}

func mapHeader(b []byte) (hdr, items int, ok bool) {
	c := b[0]
	switch {
	case c >= 0x80 && c <= 0x8f:
		return 1, int(c & 0x0f), true
	case c == 0xde && len(b) >= 3:
		return 3, int(binary.BigEndian.Uint16(b[1:])), true
	case c == 0xdf && len(b) >= 5:
		u := binary.BigEndian.Uint32(b[1:])
		if uint64(u) > uint64(len(b)) {
			return 0, 0, false
		}
		return 5, int(u), true
	}
	return 0, 0, false
}

// strictCheck checks body against the type v points to.
func strictCheck(body []byte, v any, strings bool) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("%w: decode target must be a pointer", ErrWrongType)
	}
	_, err := check(body, planOf(t.Elem()), strings, true, nil)
	return err
}

// textsIn returns the length of the value at the start of b, checking every
// string in it (map keys too) as FieldText.
func textsIn(b []byte, key []byte) (int, error) {
	if s, n, ok := readStr(b); ok {
		if err := FieldText.check(s); err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrBadString, orBody(key), err)
		}
		return n, nil
	}
	off, items, ok := arrayHeader(b)
	if !ok {
		if off, items, ok = mapHeader(b); !ok {
			return skip(b, 0)
		}
		items *= 2
	}
	for i := 0; i < items; i++ {
		if off >= len(b) {
			return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
		}
		n, err := textsIn(b[off:], key)
		if err != nil {
			return 0, err
		}
		off += n
	}
	return off, nil
}
