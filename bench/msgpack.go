package bench

import "encoding/binary"

// mp is a minimal msgpack reader over one push body. It reads only what a
// load generator needs (map and array headers, strings, unsigned integers)
// and skips the rest. It never allocates: strings are returned as sub-slices
// of the body. Any malformed input sets bad and makes every later read
// return zero values, so callers check bad once at the end.
type mp struct {
	b   []byte
	i   int
	bad bool
}

func (p *mp) fail() { p.bad = true; p.i = len(p.b) }

func (p *mp) byte1() byte {
	if p.i >= len(p.b) {
		p.fail()
		return 0
	}
	c := p.b[p.i]
	p.i++
	return c
}

func (p *mp) n(k int) []byte {
	if k < 0 || p.i+k > len(p.b) {
		p.fail()
		return nil
	}
	s := p.b[p.i : p.i+k]
	p.i += k
	return s
}

func (p *mp) u16() int {
	s := p.n(2)
	if s == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(s))
}
func (p *mp) u32() int {
	s := p.n(4)
	if s == nil {
		return 0
	}
	return int(binary.BigEndian.Uint32(s))
}

// mapLen reads a map header; -1 if the next value is not a map.
func (p *mp) mapLen() int {
	c := p.byte1()
	switch {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f)
	case c == 0xde:
		return p.u16()
	case c == 0xdf:
		return p.u32()
	}
	p.fail()
	return -1
}

// arrLen reads an array header; -1 if the next value is not an array.
func (p *mp) arrLen() int {
	c := p.byte1()
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f)
	case c == 0xdc:
		return p.u16()
	case c == 0xdd:
		return p.u32()
	}
	p.fail()
	return -1
}

// str reads a string or binary value.
func (p *mp) str() []byte {
	c := p.byte1()
	switch {
	case c >= 0xa0 && c <= 0xbf:
		return p.n(int(c & 0x1f))
	case c == 0xd9 || c == 0xc4:
		return p.n(int(p.byte1()))
	case c == 0xda || c == 0xc5:
		return p.n(p.u16())
	case c == 0xdb || c == 0xc6:
		return p.n(p.u32())
	}
	p.fail()
	return nil
}

// uint reads a non-negative integer.
func (p *mp) uint() uint64 {
	c := p.byte1()
	switch {
	case c <= 0x7f:
		return uint64(c)
	case c == 0xcc || c == 0xd0:
		return uint64(p.byte1())
	case c == 0xcd || c == 0xd1:
		return uint64(p.u16())
	case c == 0xce || c == 0xd2:
		return uint64(p.u32())
	case c == 0xcf || c == 0xd3:
		s := p.n(8)
		if s == nil {
			return 0
		}
		return binary.BigEndian.Uint64(s)
	}
	p.fail()
	return 0
}

// skip skips one value of any type (depth-bounded).
func (p *mp) skip(depth int) {
	if depth > 16 {
		p.fail()
		return
	}
	c := p.byte1()
	switch {
	case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
	case c >= 0x80 && c <= 0x8f:
		p.skipN(2*int(c&0x0f), depth)
	case c >= 0x90 && c <= 0x9f:
		p.skipN(int(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf:
		p.n(int(c & 0x1f))
	case c == 0xcc, c == 0xd0:
		p.n(1)
	case c == 0xcd, c == 0xd1:
		p.n(2)
	case c == 0xce, c == 0xd2, c == 0xca:
		p.n(4)
	case c == 0xcf, c == 0xd3, c == 0xcb:
		p.n(8)
	case c == 0xc4, c == 0xd9:
		p.n(int(p.byte1()))
	case c == 0xc5, c == 0xda:
		p.n(p.u16())
	case c == 0xc6, c == 0xdb:
		p.n(p.u32())
	case c == 0xdc:
		p.skipN(p.u16(), depth)
	case c == 0xdd:
		p.skipN(p.u32(), depth)
	case c == 0xde:
		p.skipN(2*p.u16(), depth)
	case c == 0xdf:
		p.skipN(2*p.u32(), depth)
	default:
		p.fail()
	}
}

func (p *mp) skipN(k, depth int) {
	if k > len(p.b)-p.i { // each value takes at least one byte
		p.fail()
		return
	}
	for j := 0; j < k && !p.bad; j++ {
		p.skip(depth + 1)
	}
}

// walkPush reads a push body ({"g": group, "msgs": [{"seq": n, "type": t,
// "body": {"text": {"t": text}}}, ...]}) and calls fn for every message with
// its group, seq, type and text (nil for non-text messages). It reports
// false if the body is malformed. Only the fields named above are decoded;
// everything else is skipped.
func walkPush(body []byte, fn func(group []byte, seq uint64, typ uint64, text []byte)) bool {
	p := mp{b: body}
	var group []byte
	n := p.mapLen()
	for k := 0; k < n && !p.bad; k++ {
		key := p.str()
		switch string(key) {
		case "g":
			group = p.str()
		case "msgs":
			m := p.arrLen()
			for j := 0; j < m && !p.bad; j++ {
				walkMsg(&p, group, fn)
			}
		default:
			p.skip(0)
		}
	}
	return !p.bad
}

func walkMsg(p *mp, group []byte, fn func(group []byte, seq uint64, typ uint64, text []byte)) {
	var seq, typ uint64
	var text []byte
	n := p.mapLen()
	for k := 0; k < n && !p.bad; k++ {
		key := p.str()
		switch string(key) {
		case "seq":
			seq = p.uint()
		case "type":
			typ = p.uint()
		case "body":
			bn := p.mapLen()
			for b := 0; b < bn && !p.bad; b++ {
				if string(p.str()) != "text" {
					p.skip(1)
					continue
				}
				if p.i < len(p.b) && p.b[p.i] == 0xc0 { // nil
					p.i++
					continue
				}
				tn := p.mapLen()
				for t := 0; t < tn && !p.bad; t++ {
					if string(p.str()) == "t" {
						text = p.str()
					} else {
						p.skip(2)
					}
				}
			}
		default:
			p.skip(1)
		}
	}
	if !p.bad {
		fn(group, seq, typ, text)
	}
}
