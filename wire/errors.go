package wire

import (
	"errors"
	"fmt"
)

// Code is a stable numeric error code sent to clients. Codes are append-only.
type Code uint16

// Connection and protocol errors (1–99). After one of these the server closes
// the connection.
const (
	CodeBadFrame         Code = 1 // malformed frame or msgpack body
	CodeFrameTooLarge    Code = 2 // declared frame length above the limit
	CodeBadVersion       Code = 3 // unsupported protocol version in hello
	CodeHandshakeTimeout Code = 4 // no hello within the handshake deadline
	CodeTooManyInFlight  Code = 5 // more requests in flight than allowed
	CodeSlowConsumer     Code = 6 // outbound queue overflowed; reconnect and resync
	CodeShuttingDown     Code = 7 // server is stopping
	CodeExpectedHello    Code = 8 // first frame was not a hello
	CodeUnexpectedFrame  Code = 9 // a frame type the server does not accept
)

// Authentication errors (100–199).
const (
	CodeUnauthenticated Code = 100 // token missing, malformed or badly signed
	CodeTokenExpired    Code = 101 // token past its exp
)

// Request errors (200–399). Only the request fails; the connection stays.
const (
	CodeBadRequest      Code = 200 // arguments missing or invalid
	CodeUnknownOp       Code = 201 // operation code not known to this server
	CodeNoSuchGroup     Code = 202
	CodeNotMember       Code = 203
	CodeAlreadyMember   Code = 204
	CodeForbidden       Code = 205 // role does not allow the action
	CodeGroupFull       Code = 206
	CodeMuted           Code = 207
	CodeBanned          Code = 208
	CodeLimitReached    Code = 209 // e.g. too many groups owned
	CodeNotFound        Code = 210
	CodeConflict        Code = 211
	CodeRejected        Code = 212 // refused by the host's moderation hook
	CodePending         Code = 213 // join request queued for approval
	CodeInvalidCode     Code = 214 // invite code unknown, expired, used up or revoked
	CodeDissolved       Code = 215 // the group was dissolved
	CodeNotAllowed      Code = 216 // the group's rules do not allow it (join policy, invites)
	CodeThresholdNotMet Code = 217 // join threshold of a fan group not met
)

// Limits (370–389). Request errors (the connection stays) unless marked
// "closes".
const (
	CodeReplyTooLarge      Code = 370 // the reply would exceed max_frame: ask for less (limit, fewer groups)
	CodeTooManyConnections Code = 372 // closes: a connection limit (total, unauthenticated, per address) is reached
	CodeReplaced           Code = 373 // closes: the user opened more connections than allowed; this, the oldest, is closed
	CodeTokenRevoked       Code = 374 // closes: the host revoked the token or denied the user
)

// Server errors (500–599). The request may be retried.
const (
	CodeInternal    Code = 500
	CodeUnavailable Code = 501 // overloaded, shutting down, or storage failed
	CodeTimeout     Code = 502
)

var codeNames = map[Code]string{
	CodeBadFrame: "bad_frame", CodeFrameTooLarge: "frame_too_large", CodeBadVersion: "bad_version",
	CodeHandshakeTimeout: "handshake_timeout", CodeTooManyInFlight: "too_many_in_flight",
	CodeSlowConsumer: "slow_consumer", CodeShuttingDown: "shutting_down", CodeExpectedHello: "expected_hello",
	CodeUnexpectedFrame: "unexpected_frame",
	CodeUnauthenticated: "unauthenticated", CodeTokenExpired: "token_expired",
	CodeBadRequest: "bad_request", CodeUnknownOp: "unknown_op", CodeNoSuchGroup: "no_such_group",
	CodeNotMember: "not_member", CodeAlreadyMember: "already_member", CodeForbidden: "forbidden",
	CodeGroupFull: "group_full", CodeMuted: "muted", CodeBanned: "banned", CodeLimitReached: "limit_reached",
	CodeNotFound: "not_found", CodeConflict: "conflict", CodeRejected: "rejected", CodePending: "pending",
	CodeInvalidCode: "invalid_code", CodeDissolved: "dissolved", CodeNotAllowed: "not_allowed",
	CodeThresholdNotMet: "threshold_not_met",
	CodeNotARoom:        "not_a_room", CodeRoomClosed: "room_closed", CodeRateLimited: "rate_limited",
	CodeInternal: "internal", CodeUnavailable: "unavailable", CodeTimeout: "timeout",
	CodeReplyTooLarge: "reply_too_large", CodeTooManyConnections: "too_many_connections", CodeReplaced: "replaced",
	CodeTokenRevoked: "token_revoked",
}

// String returns the code's stable snake_case name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint16(c))
}

// Error is the typed error a client receives: a stable numeric code and text.
// errors.Is(err, wire.ErrNotMember) matches on the code alone.
type Error struct {
	Code       Code   `msgpack:"code"`
	Msg        string `msgpack:"msg"`
	RetryAfter int64  `msgpack:"retry_after,omitempty"` // CodeRateLimited: ms until a retry may pass
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("qun: %s (%d)", e.Code, uint16(e.Code))
	}
	return fmt.Sprintf("qun: %s (%d): %s", e.Code, uint16(e.Code), e.Msg)
}

// Is reports whether target is a *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code carried by err, or CodeInternal if err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinels for errors.Is.
var (
	ErrBadRequest      = &Error{Code: CodeBadRequest}
	ErrNoSuchGroup     = &Error{Code: CodeNoSuchGroup}
	ErrNotMember       = &Error{Code: CodeNotMember}
	ErrAlreadyMember   = &Error{Code: CodeAlreadyMember}
	ErrForbidden       = &Error{Code: CodeForbidden}
	ErrGroupFull       = &Error{Code: CodeGroupFull}
	ErrMuted           = &Error{Code: CodeMuted}
	ErrBanned          = &Error{Code: CodeBanned}
	ErrLimitReached    = &Error{Code: CodeLimitReached}
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated}
	ErrSlowConsumer    = &Error{Code: CodeSlowConsumer}
	ErrUnavailable     = &Error{Code: CodeUnavailable}
)

// Decoding errors (not sent as such; mapped to CodeBadFrame / CodeFrameTooLarge).
var (
	ErrFrameTooLarge = errors.New("wire: frame too large")
	ErrEmptyFrame    = errors.New("wire: empty frame")
	ErrMalformed     = errors.New("wire: malformed msgpack")
	ErrTooDeep       = errors.New("wire: msgpack nested too deeply")
	ErrTrailing      = errors.New("wire: trailing bytes after msgpack value")
)
