package bench

// A payload is the same bytes for Qun and for NATS:
//
//	bytes  0..15  intended send time, ns since the run's epoch, 16 hex digits
//	bytes 16..19  sender index, 4 hex digits
//	bytes 20..27  the sender's message number in that group, 8 hex digits
//	bytes 28..    'x' padding up to --payload bytes
//
// The time is the time the message was scheduled to be sent (open-loop
// pacing), not the time it actually left, so a send delayed by a full
// window or a slow scheduler still counts its full delay (no coordinated
// omission). In saturation mode it is the time the send was issued.

// MinPayload is the smallest payload: the fixed header.
const MinPayload = 28

const hexdigits = "0123456789abcdef"

func putHex(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = hexdigits[v&15]
		v >>= 4
	}
}

func getHex(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// fillPayload writes a payload of len(b) bytes (>= MinPayload).
func fillPayload(b []byte, ts int64, sender int, seq uint32) {
	putHex(b[0:16], uint64(ts))
	putHex(b[16:20], uint64(sender))
	putHex(b[20:28], uint64(seq))
	for i := MinPayload; i < len(b); i++ {
		b[i] = 'x'
	}
}

// newPayload returns a template payload of size bytes.
func newPayload(size int) []byte {
	if size < MinPayload {
		size = MinPayload
	}
	b := make([]byte, size)
	fillPayload(b, 0, 0, 0)
	return b
}

// parsePayload reads the header fields.
func parsePayload(b []byte) (ts int64, sender int, seq uint32, ok bool) {
	if len(b) < MinPayload {
		return 0, 0, 0, false
	}
	t, ok1 := getHex(b[0:16])
	s, ok2 := getHex(b[16:20])
	q, ok3 := getHex(b[20:28])
	return int64(t), int(s), uint32(q), ok1 && ok2 && ok3
}

// payloadTime reads only the send time (what the Qun reader needs; its
// gaps come from the server's seq).
func payloadTime(b []byte) (int64, bool) {
	if len(b) < 16 {
		return 0, false
	}
	t, ok := getHex(b[0:16])
	return int64(t), ok
}
