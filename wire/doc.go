// Package wire is Qun's client protocol: length-prefixed msgpack frames over TCP.
//
// A frame is a 4-byte big-endian length L, then L bytes: one frame-type byte
// followed by a msgpack body. L counts the type byte, so 1 <= L <= MaxFrameSize.
// docs/protocol.md describes every frame byte by byte.
//
// # Safety
//
// Every decoder here bounds lengths before it allocates. ReadFrame refuses a
// declared length above the limit before reading the body. Decode first walks
// the msgpack bytes with Validate, which rejects any map, array, string or
// binary whose declared length exceeds the bytes that remain, nesting deeper
// than MaxDepth, and extension types; only then does it decode, and only into
// concrete Go types, never into interface{}. Declared lengths in msgpack are
// otherwise trusted by the msgpack library (a 5-byte frame can ask it for
// gigabytes).
//
// # Hand-written codecs
//
// The types on the send path (Request, Reply, ErrorFrame, GroupArgs,
// SendArgs, SendResult, Message, Push, Ping) have hand-written encoders and
// decoders (codec.go, codec_types.go) that Marshal, AppendFrame and Decode
// use instead of reflection. They produce the reflection encoder's bytes
// exactly (compact integers, omitempty as tagged); their decoders refuse any
// integer that does not fit its field, bound every length by the bytes
// remaining, and copy the body once, so decoded strings and raw values never
// alias the caller's buffer. A rich message body (rich.go) is encoded and
// decoded by reflection inside them. Structs travel as maps; the array form that
// vmihailenco/msgpack also accepts is refused for these types.
//
// # Compatibility
//
// Frame types, operation codes, message types and error codes are explicit
// numbered constants. They are append-only: a number is never reused or
// renumbered. ProtocolVersion changes only when an existing frame changes
// meaning. Unknown map keys are ignored by decoders, so fields may be added.
//
// # Concurrency
//
// All functions are safe for concurrent use. Encoders are pooled. A frame
// returned by AppendFrame/EncodeFrame is immutable once built and may be
// shared by many connections (a broadcast is encoded once).
//
// # Imports
//
// wire imports no other Qun package; it is the leaf every other package may use.
package wire
