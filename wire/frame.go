package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// ProtocolVersion is the version a client states in its hello.
const ProtocolVersion = 1

// DefaultMaxFrameSize is the default bound on a frame's length field (64 KiB).
const DefaultMaxFrameSize = 64 << 10

// HeaderSize is the length prefix plus the frame-type byte.
const HeaderSize = 5

// FrameType is the first byte after the length prefix. Append-only.
type FrameType uint8

// Frame types.
const (
	FrameHello   FrameType = 1  // client → server, first frame: Hello
	FrameWelcome FrameType = 2  // server → client: Welcome
	FrameRequest FrameType = 3  // client → server: Request
	FrameReply   FrameType = 4  // server → client: Reply (success)
	FrameError   FrameType = 5  // server → client: ErrorFrame (request id 0 = connection error, then close)
	FramePush    FrameType = 6  // server → client: Push (messages of one group)
	FrameGap     FrameType = 7  // server → client: Gap (messages you must fetch with history)
	FramePing    FrameType = 8  // either way: Ping; the peer answers Pong
	FramePong    FrameType = 9  // either way: Pong
	FrameNotice  FrameType = 10 // server → client: Notice addressed to this user
)

func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWelcome:
		return "welcome"
	case FrameRequest:
		return "request"
	case FrameReply:
		return "reply"
	case FrameError:
		return "error"
	case FramePush:
		return "push"
	case FrameGap:
		return "gap"
	case FramePing:
		return "ping"
	case FramePong:
		return "pong"
	case FrameNotice:
		return "notice"
	case FrameRoomPush:
		return "room_push"
	}
	return fmt.Sprintf("frame(%d)", uint8(t))
}

// ReadFrame reads one frame from r. The declared length is checked against
// maxSize before anything is allocated; buf is reused when large enough. The
// returned body aliases buf (or a new buffer) and is valid until the next call
// with the same buf.
func ReadFrame(r *bufio.Reader, maxSize int, buf []byte) (FrameType, []byte, []byte, error) {
	hdr, err := r.Peek(4)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, buf, err
	}
	n := binary.BigEndian.Uint32(hdr)
	_, _ = r.Discard(4)
	if n == 0 {
		return 0, nil, buf, ErrEmptyFrame
	}
	if maxSize <= 0 || uint64(n) > uint64(maxSize) {
		return 0, nil, buf, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, maxSize)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, buf, err
	}
	return FrameType(buf[0]), buf[1:], buf, nil
}

var encPool = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.UseCompactInts(true)
	e.enc.SetOmitEmpty(false)
	return e
}}

type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

// Marshal encodes v as msgpack with compact integers.
func Marshal(v any) ([]byte, error) {
	if a, ok := v.(Appender); ok {
		return a.AppendMsgpack(make([]byte, 0, 64))
	}
	e := encPool.Get().(*encoder)
	defer encPool.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// AppendFrame appends a complete frame (length, type, msgpack of v) to dst.
func AppendFrame(dst []byte, t FrameType, v any) ([]byte, error) {
	if a, ok := v.(Appender); ok {
		start := len(dst)
		b, err := a.AppendMsgpack(append(dst, 0, 0, 0, 0, byte(t)))
		if err != nil {
			return dst, err
		}
		binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		return b, nil
	}
	e := encPool.Get().(*encoder)
	defer encPool.Put(e)
	e.buf.Reset()
	e.buf.Write([]byte{0, 0, 0, 0, byte(t)})
	if v != nil {
		if err := e.enc.Encode(v); err != nil {
			return dst, err
		}
	}
	b := e.buf.Bytes()
	binary.BigEndian.PutUint32(b[:4], uint32(len(b)-4))
	return append(dst, b...), nil
}

// EncodeFrame returns a new frame holding v.
func EncodeFrame(t FrameType, v any) ([]byte, error) {
	if _, ok := v.(Appender); ok {
		return AppendFrame(make([]byte, 0, 256), t, v)
	}
	return AppendFrame(nil, t, v)
}

// FrameBody returns the type and body of a complete frame built by AppendFrame.
func FrameBody(frame []byte) (FrameType, []byte, error) {
	if len(frame) < HeaderSize {
		return 0, nil, ErrEmptyFrame
	}
	n := binary.BigEndian.Uint32(frame[:4])
	if int(n) != len(frame)-4 {
		return 0, nil, ErrMalformed
	}
	return FrameType(frame[4]), frame[5:], nil
}

// Decode validates body (see Validate), checks it against the type of v
// (strict.go: every integer in range, never narrowed; maps where structs
// are expected) and decodes it into v, which must be a pointer to a
// concrete type. Unknown map keys are ignored.
func Decode(body []byte, v any) error {
	return decode(body, v, false)
}

func decode(body []byte, v any, strings bool) error {
	if err := Validate(body); err != nil {
		return err
	}
	if err := strictCheck(body, v, strings); err != nil {
		return err
	}
	if d, ok := v.(decoding); ok {
		return decodeFast(body, d)
	}
	if err := msgpack.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
