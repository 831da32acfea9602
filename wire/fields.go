package wire

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Field is the kind of a string field in client arguments. Every string a
// client sends is checked by its kind, on every op, when its arguments are
// decoded (DecodeArgs): one validation per kind. The kind follows from the
// field's msgpack key (FieldOf), so a new argument type is covered without a
// line of its own. An empty string always passes: whether a field is
// required is the op's rule.
type Field uint8

// Field kinds.
const (
	// FieldText: valid UTF-8 without control characters other than tab and
	// newline (message text, notes, descriptions, queries, anything not
	// listed below).
	FieldText Field = iota
	// FieldName: valid UTF-8 without any control character (group names,
	// client message ids, categories, cities).
	FieldName
	// FieldUser: a user id: at most MaxUserIDLen bytes of valid UTF-8
	// without spaces or control characters.
	FieldUser
	// FieldGroup: a group id: at most MaxGroupIDLen bytes of [A-Za-z0-9_-].
	FieldGroup
	// FieldCode: an invite code: at most MaxInviteCodeLen bytes of
	// [A-Za-z0-9_-].
	FieldCode
)

// Bounds of the id kinds.
const (
	MaxUserIDLen     = 64
	MaxGroupIDLen    = 64
	MaxInviteCodeLen = 100
)

// fieldByKey names the kind of every string field that is not FieldText,
// by msgpack key.
var fieldByKey = map[string]Field{
	"g":    FieldGroup,
	"user": FieldUser, "users": FieldUser, "at": FieldUser, "after": FieldUser, "owner": FieldUser,
	"by": FieldUser, "creator": FieldUser, "from": FieldUser, "actor": FieldUser, "target": FieldUser,
	"admins": FieldUser, "unacked": FieldUser,
	"code": FieldCode,
	"name": FieldName, "cmid": FieldName, "category": FieldName, "city": FieldName, "kind": FieldName,
	"e":      FieldName,
	"groups": FieldGroup, "profiles": FieldUser, // map keys, or elements of a list of ids
}

// FieldOf returns the kind of a string field with msgpack key key.
func FieldOf(key string) Field {
	if f, ok := fieldByKey[key]; ok {
		return f
	}
	return FieldText
}

// mapKeyField is the kind of the keys of a map field: "groups" maps are
// keyed by group id, "profiles" by user id.
func mapKeyField(f Field) Field {
	return f
}

// ErrField is wrapped by every field validation error.
var ErrField = errors.New("wire: invalid field")

func (f Field) String() string {
	return [...]string{"text", "name", "user id", "group id", "invite code"}[f]
}

// check validates a non-empty string of kind f.
func (f Field) check(s []byte) error {
	if len(s) == 0 {
		return nil
	}
	switch f {
	case FieldGroup, FieldCode:
		max := MaxGroupIDLen
		if f == FieldCode {
			max = MaxInviteCodeLen
		}
		if len(s) > max {
			return fmt.Errorf("%w: %s longer than %d bytes", ErrField, f, max)
		}
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return fmt.Errorf("%w: %s may hold only A-Z a-z 0-9 _ -", ErrField, f)
			}
		}
		return nil
	case FieldUser:
		if len(s) > MaxUserIDLen {
			return fmt.Errorf("%w: user id longer than %d bytes", ErrField, MaxUserIDLen)
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrField, f)
		}
		i += n
		switch {
		case f == FieldText && (r == '\n' || r == '\t'):
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("%w: %s holds a control character", ErrField, f)
		case f == FieldUser && unicode.IsSpace(r):
			return fmt.Errorf("%w: user id holds a space", ErrField)
		}
	}
	return nil
}

// CheckField validates s as a string of kind f (see Field). An empty string
// passes.
func CheckField(f Field, s string) error {
	return f.check([]byte(s))
}

// ValidUserID checks a user id: non-empty and a valid FieldUser.
func ValidUserID(u string) error {
	if u == "" {
		return fmt.Errorf("%w: empty user id", ErrField)
	}
	return FieldUser.check([]byte(u))
}
