package replication

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// The transport handshake authenticates both ends with the cluster secret,
// by HMAC-SHA256 challenge-response; the secret never crosses the wire.
//
//	dialer -> listener: magic(6) kind(1) dialerID(8) dialerNonce(32)
//	listener -> dialer: listenerID(8) listenerNonce(32) HMAC(secret, "qraft-listener" | transcript)
//	dialer -> listener: HMAC(secret, "qraft-dialer" | transcript)
//
// where transcript = magic kind dialerID dialerNonce listenerID listenerNonce.
// The dialer checks the listener's MAC (and that it is the store it meant to
// reach) before sending anything else; the listener checks the dialer's MAC
// before reading a single frame. A wrong MAC closes the connection.
const (
	handshakeMagic = "QRAFT1"
	nonceLen       = 32
	macLen         = sha256.Size

	connMessages = 1 // a stream of frameMessages
	connSnapshot = 2 // one snapshot: frameChunk..., frameSnapMsg; the listener acks with one byte

	// MinSecretLen is the shortest cluster secret accepted.
	MinSecretLen = 16
)

func mac(secret []byte, label string, transcript []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(label))
	h.Write(transcript)
	return h.Sum(nil)
}

// dialHandshake runs the dialer's side; it returns an error wrapping ErrAuth
// if the listener does not prove it knows the secret or is not store want.
func dialHandshake(c net.Conn, secret []byte, kind byte, self, want uint64, timeout time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	hello := make([]byte, 0, len(handshakeMagic)+1+8+nonceLen)
	hello = append(hello, handshakeMagic...)
	hello = append(hello, kind)
	hello = binary.BigEndian.AppendUint64(hello, self)
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	hello = append(hello, nonce...)
	if _, err := c.Write(hello); err != nil {
		return err
	}
	reply := make([]byte, 8+nonceLen+macLen)
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("%w: no handshake reply: %w", ErrAuth, err)
	}
	transcript := append(hello, reply[:8+nonceLen]...)
	if !hmac.Equal(reply[8+nonceLen:], mac(secret, "qraft-listener", transcript)) {
		return fmt.Errorf("%w: listener does not know the cluster secret", ErrAuth)
	}
	if id := binary.BigEndian.Uint64(reply); id != want {
		return fmt.Errorf("%w: reached store %d, wanted %d", ErrAuth, id, want)
	}
	_, err := c.Write(mac(secret, "qraft-dialer", transcript))
	return err
}

// acceptHandshake runs the listener's side and returns the dialer's store
// id and connection kind once the dialer proved it knows the secret.
func acceptHandshake(c net.Conn, secret []byte, self uint64, timeout time.Duration) (from uint64, kind byte, err error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	hello := make([]byte, len(handshakeMagic)+1+8+nonceLen)
	if _, err := io.ReadFull(c, hello); err != nil {
		return 0, 0, fmt.Errorf("%w: short hello: %w", ErrAuth, err)
	}
	if string(hello[:len(handshakeMagic)]) != handshakeMagic {
		return 0, 0, fmt.Errorf("%w: bad magic", ErrAuth)
	}
	kind = hello[len(handshakeMagic)]
	if kind != connMessages && kind != connSnapshot {
		return 0, 0, fmt.Errorf("%w: connection kind %d", ErrAuth, kind)
	}
	from = binary.BigEndian.Uint64(hello[len(handshakeMagic)+1:])
	reply := binary.BigEndian.AppendUint64(make([]byte, 0, 8+nonceLen+macLen), self)
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return 0, 0, err
	}
	reply = append(reply, nonce...)
	transcript := append(append([]byte(nil), hello...), reply...)
	reply = append(reply, mac(secret, "qraft-listener", transcript)...)
	if _, err := c.Write(reply); err != nil {
		return 0, 0, err
	}
	proof := make([]byte, macLen)
	if _, err := io.ReadFull(c, proof); err != nil {
		return 0, 0, fmt.Errorf("%w: no proof: %w", ErrAuth, err)
	}
	if !hmac.Equal(proof, mac(secret, "qraft-dialer", transcript)) {
		return 0, 0, fmt.Errorf("%w: dialer does not know the cluster secret", ErrAuth)
	}
	return from, kind, nil
}
