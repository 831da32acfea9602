package wire

import "math"

// Hand-written encoders and decoders of the hot types (see codec.go). Each
// writes its fields in declaration order with the reflection encoder's
// omitempty rules; each decoder accepts the keys in any order, skips
// unknown keys, treats nil as the zero value, and refuses an integer that
// does not fit its field.

// AppendMsgpack implements Appender.
func (q Request) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 3), 0xa2, 'i', 'd')
	b = AppendUint(b, uint64(q.ID))
	b = append(b, 0xa2, 'o', 'p')
	b = AppendUint(b, uint64(q.Op))
	b = append(b, 0xa4, 'a', 'r', 'g', 's')
	return AppendRaw(b, q.Args)
}

func (q *Request) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		var n uint64
		switch string(k) {
		case "id":
			n, err = r.uint(math.MaxUint32)
			q.ID = uint32(n)
		case "op":
			n, err = r.uint(math.MaxUint16)
			q.Op = Op(n)
		case "args":
			q.Args, err = r.raw()
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (p Reply) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 2), 0xa2, 'i', 'd')
	b = AppendUint(b, uint64(p.ID))
	b = append(b, 0xa4, 'b', 'o', 'd', 'y')
	return AppendRaw(b, p.Body)
}

func (p *Reply) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "id":
			var n uint64
			n, err = r.uint(math.MaxUint32)
			p.ID = uint32(n)
		case "body":
			p.Body, err = r.raw()
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (e ErrorFrame) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 3+boolInt(e.RetryAfter != 0)), 0xa2, 'i', 'd')
	b = AppendUint(b, uint64(e.ID))
	b = append(b, 0xa4, 'c', 'o', 'd', 'e')
	b = AppendUint(b, uint64(e.Code))
	b = append(b, 0xa3, 'm', 's', 'g')
	b = AppendString(b, e.Msg)
	if e.RetryAfter != 0 {
		b = AppendInt(append(b, 0xab, 'r', 'e', 't', 'r', 'y', '_', 'a', 'f', 't', 'e', 'r'), e.RetryAfter)
	}
	return b, nil
}

func (e *ErrorFrame) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		var n uint64
		switch string(k) {
		case "id":
			n, err = r.uint(math.MaxUint32)
			e.ID = uint32(n)
		case "code":
			n, err = r.uint(math.MaxUint16)
			e.Code = Code(n)
		case "msg":
			e.Msg, err = r.str()
		case "retry_after":
			e.RetryAfter, err = r.int64()
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (a GroupArgs) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 1), 0xa1, 'g')
	return AppendString(b, a.Group), nil
}

func (a *GroupArgs) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		if string(k) != "g" {
			return false, nil
		}
		var err error
		a.Group, err = r.str()
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (a SendArgs) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 4), 0xa1, 'g')
	b = AppendString(b, a.Group)
	b = append(b, 0xa4, 'c', 'm', 'i', 'd')
	b = AppendString(b, a.CMID)
	b = append(b, 0xa4, 't', 'y', 'p', 'e')
	b = AppendUint(b, uint64(a.Type))
	b = append(b, 0xa4, 'b', 'o', 'd', 'y')
	return a.Body.appendMsgpack(b)
}

func (a *SendArgs) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "g":
			a.Group, err = r.str()
		case "cmid":
			a.CMID, err = r.str()
		case "type":
			var n uint64
			n, err = r.uint(math.MaxUint8)
			a.Type = MsgType(n)
		case "body":
			err = a.Body.decodeMsgpack(r)
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (s SendResult) AppendMsgpack(b []byte) ([]byte, error) {
	n := 2
	if s.Dup {
		n = 3
	}
	b = append(AppendMapHeader(b, n), 0xa3, 's', 'e', 'q')
	b = AppendUint(b, s.Seq)
	b = append(b, 0xa2, 't', 's')
	b = AppendInt(b, s.Time)
	if s.Dup {
		b = append(b, 0xa3, 'd', 'u', 'p', 0xc3)
	}
	return b, nil
}

func (s *SendResult) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "seq":
			s.Seq, err = r.uint(math.MaxUint64)
		case "ts":
			s.Time, err = r.int64()
		case "dup":
			s.Dup, err = r.bool()
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (p Push) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(AppendMapHeader(b, 2), 0xa1, 'g')
	b = AppendString(b, p.Group)
	b = append(b, 0xa4, 'm', 's', 'g', 's')
	if p.Msgs == nil {
		return AppendNil(b), nil
	}
	b = AppendArrayHeader(b, len(p.Msgs))
	for i := range p.Msgs {
		var err error
		if b, err = p.Msgs[i].appendMsgpack(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (p *Push) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "g":
			p.Group, err = r.str()
		case "msgs":
			p.Msgs, err = decodeMessages(r)
		default:
			return false, nil
		}
		return true, err
	})
}

func decodeMessages(r *reader) ([]Message, error) {
	n, err := r.arrayLen()
	if err != nil || n < 0 {
		return nil, err
	}
	ms := make([]Message, n) // n is bounded by the bytes remaining
	for i := range ms {
		if err := ms[i].decodeMsgpack(r); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// AppendMsgpack implements Appender.
func (m Message) AppendMsgpack(b []byte) ([]byte, error) {
	return m.appendMsgpack(b)
}

func (m *Message) appendMsgpack(b []byte) ([]byte, error) {
	n := 5 + boolInt(m.CMID != "") + boolInt(m.Lane != 0)
	b = append(AppendMapHeader(b, n), 0xa3, 's', 'e', 'q')
	b = AppendUint(b, m.Seq)
	b = append(b, 0xa2, 't', 's')
	b = AppendInt(b, m.Time)
	b = append(b, 0xa4, 'f', 'r', 'o', 'm')
	b = AppendString(b, m.Sender)
	if m.CMID != "" {
		b = append(b, 0xa4, 'c', 'm', 'i', 'd')
		b = AppendString(b, m.CMID)
	}
	b = append(b, 0xa4, 't', 'y', 'p', 'e')
	b = AppendUint(b, uint64(m.Type))
	b = append(b, 0xa4, 'b', 'o', 'd', 'y')
	b, err := m.Body.appendMsgpack(b)
	if err != nil || m.Lane == 0 {
		return b, err
	}
	return AppendUint(append(b, 0xa4, 'l', 'a', 'n', 'e'), uint64(m.Lane)), nil
}

func (m *Message) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "seq":
			m.Seq, err = r.uint(math.MaxUint64)
		case "ts":
			m.Time, err = r.int64()
		case "from":
			m.Sender, err = r.str()
		case "cmid":
			m.CMID, err = r.str()
		case "type":
			var n uint64
			n, err = r.uint(math.MaxUint8)
			m.Type = MsgType(n)
		case "body":
			err = m.Body.decodeMsgpack(r)
		case "lane":
			var n uint64
			n, err = r.uint(math.MaxUint8)
			m.Lane = Lane(n)
		default:
			return false, nil
		}
		return true, err
	})
}

// plain reports whether only Text and System may be set: the bodies the
// hand-written codec knows. Rich bodies (rich.go) go through reflection. (If
// Body gains a field that is not comparable, this stops compiling: extend
// the codec or the check.)
func (y *Body) plain() bool {
	return *y == Body{Text: y.Text, System: y.System} && (y.System == nil || y.System.Commerce == nil)
}

func (y *Body) appendMsgpack(b []byte) ([]byte, error) {
	if !y.plain() {
		return appendReflect(b, y)
	}
	n := 0
	if y.Text != nil {
		n++
	}
	if y.System != nil {
		n++
	}
	b = AppendMapHeader(b, n)
	if t := y.Text; t != nil {
		b = append(b, 0xa4, 't', 'e', 'x', 't')
		b = append(AppendMapHeader(b, 1+boolInt(len(t.Mentions) > 0)), 0xa1, 't')
		b = AppendString(b, t.Text)
		if len(t.Mentions) > 0 {
			b = AppendArrayHeader(append(b, 0xa2, 'a', 't'), len(t.Mentions))
			for _, u := range t.Mentions {
				b = AppendString(b, u)
			}
		}
	}
	if s := y.System; s != nil {
		b = append(b, 0xa3, 's', 'y', 's')
		n := 1 + boolInt(s.Actor != "") + boolInt(s.Target != "") + boolInt(s.Text != "") + boolInt(s.Until != 0)
		b = append(AppendMapHeader(b, n), 0xa1, 'e')
		b = AppendString(b, s.Event)
		if s.Actor != "" {
			b = AppendString(append(b, 0xa5, 'a', 'c', 't', 'o', 'r'), s.Actor)
		}
		if s.Target != "" {
			b = AppendString(append(b, 0xa6, 't', 'a', 'r', 'g', 'e', 't'), s.Target)
		}
		if s.Text != "" {
			b = AppendString(append(b, 0xa1, 't'), s.Text)
		}
		if s.Until != 0 {
			b = AppendInt(append(b, 0xa5, 'u', 'n', 't', 'i', 'l'), s.Until)
		}
	}
	return b, nil
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (y *Body) decodeMsgpack(r *reader) error {
	start, orig := r.off, *y
	rich := false
	err := r.fields(func(k []byte) (bool, error) {
		switch string(k) {
		case "text":
			if r.nil() {
				y.Text = nil
				return true, nil
			}
			if y.Text == nil {
				y.Text = new(TextBody)
			}
			return true, y.Text.decodeMsgpack(r)
		case "sys":
			if r.nil() {
				y.System = nil
				return true, nil
			}
			if y.System == nil {
				y.System = new(SystemBody)
			}
			return true, y.System.decodeMsgpack(r)
		}
		rich = true // another key: a rich body (rich.go), decoded by reflection below
		return false, nil
	})
	if err != nil || !rich {
		return err
	}
	end := r.off
	r.off, *y = start, orig
	return r.reflect(end, y)
}

func (t *TextBody) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "t":
			t.Text, err = r.str()
		case "at":
			var n int
			if n, err = r.arrayLen(); err != nil {
				return true, err
			}
			if n < 0 {
				t.Mentions = nil
				return true, nil
			}
			t.Mentions = make([]string, n) // n is bounded by the bytes remaining
			for i := range t.Mentions {
				if t.Mentions[i], err = r.str(); err != nil {
					return true, err
				}
			}
		default:
			return false, nil
		}
		return true, err
	})
}

func (s *SystemBody) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "e":
			s.Event, err = r.str()
		case "actor":
			s.Actor, err = r.str()
		case "target":
			s.Target, err = r.str()
		case "t":
			s.Text, err = r.str()
		case "until":
			s.Until, err = r.int64()
		case "com": // commerce details: rare, decoded by reflection
			if r.nil() {
				s.Commerce = nil
				return true, nil
			}
			var n int
			if n, err = skip(r.b[r.off:], 1); err != nil {
				return true, err
			}
			s.Commerce = new(CommerceEvent)
			err = r.reflect(r.off+n, s.Commerce)
		default:
			return false, nil
		}
		return true, err
	})
}

// AppendMsgpack implements Appender.
func (p Ping) AppendMsgpack(b []byte) ([]byte, error) {
	return AppendUint(append(AppendMapHeader(b, 1), 0xa1, 'n'), p.N), nil
}

func (p *Ping) decodeMsgpack(r *reader) error {
	return r.fields(func(k []byte) (bool, error) {
		if string(k) != "n" {
			return false, nil
		}
		var err error
		p.N, err = r.uint(math.MaxUint64)
		return true, err
	})
}
