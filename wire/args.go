package wire

// emptyMap is the msgpack encoding of an empty map: what missing arguments
// mean.
var emptyMap = []byte{0x80}

// ArgsOrEmpty returns b, or an empty msgpack map when b is empty: an
// operation called without arguments gets its argument type's zero value.
func ArgsOrEmpty(b []byte) []byte {
	if len(b) == 0 {
		return emptyMap
	}
	return b
}

// DecodeArgs decodes an operation's arguments (empty or nil means an empty
// map) into v, a pointer to the op's concrete argument type, checking every
// string field by its kind (fields.go) besides what Decode checks. A failure
// is a CodeBadRequest error.
func DecodeArgs(b []byte, v any) *Error {
	if len(b) == 1 && b[0] == 0xc0 {
		b = nil
	}
	if err := decode(ArgsOrEmpty(b), v, true); err != nil {
		return Errorf(CodeBadRequest, "arguments: %v", err)
	}
	return nil
}

// Args decodes an operation's arguments into a new T (see DecodeArgs).
func Args[T any](b []byte) (T, *Error) {
	var v T
	return v, DecodeArgs(b, &v)
}

// IsArgsMap reports whether b is absent, nil or a msgpack map: what an
// operation's arguments must be (anything else is bad_request).
func IsArgsMap(b []byte) bool {
	if len(b) == 0 || len(b) == 1 && b[0] == 0xc0 {
		return true
	}
	_, _, ok := mapHeader(b)
	return ok
}
