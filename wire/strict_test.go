package wire_test

import (
	"errors"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

func mp(t *testing.T, v any) []byte {
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStrictIntegers: every integer width at and past each field's bounds.
func TestStrictIntegers(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		v    any
		want error // nil: accepted
	}{
		{"op 65535", mp(t, map[string]any{"id": 1, "op": 65535}), new(wire.Request), nil},
		{"op 65536", mp(t, map[string]any{"id": 1, "op": 65536}), new(wire.Request), wire.ErrOutOfRange},
		{"op -1", mp(t, map[string]any{"id": 1, "op": -1}), new(wire.Request), wire.ErrOutOfRange},
		{"id 2^32-1", mp(t, map[string]any{"id": uint64(1<<32 - 1)}), new(wire.Request), nil},
		{"id 2^32", mp(t, map[string]any{"id": uint64(1 << 32)}), new(wire.Request), wire.ErrOutOfRange},
		{"role 255", mp(t, map[string]any{"role": 255}), new(wire.TargetArgs), nil},
		{"role 256", mp(t, map[string]any{"role": 256}), new(wire.TargetArgs), wire.ErrOutOfRange},
		{"seq -1", mp(t, map[string]any{"seq": -1}), new(wire.MarkReadArgs), wire.ErrOutOfRange},
		{"seq 2^64-1", mp(t, map[string]any{"seq": uint64(1<<64 - 1)}), new(wire.MarkReadArgs), nil},
		{"limit 2^63", mp(t, map[string]any{"limit": uint64(1 << 63)}), new(wire.HistoryArgs), wire.ErrOutOfRange},
		{"limit -2^63", mp(t, map[string]any{"limit": int64(-1 << 63)}), new(wire.HistoryArgs), nil},
		{"duration as float", mp(t, map[string]any{"duration": 1.5}), new(wire.TargetArgs), wire.ErrWrongType},
		{"lat as int", mp(t, map[string]any{"lat": 5}), new(wire.NearbyArgs), nil},
		{"type 256 nested", mp(t, map[string]any{"msgs": []any{map[string]any{"type": 256}}}), new(wire.Push), wire.ErrOutOfRange},
		{"struct as array", mp(t, []any{1, 2, 3}), new(wire.Request), wire.ErrWrongType},
		{"top-level nil", []byte{0xc0}, new(wire.Request), wire.ErrWrongType},
		{"nested nil", mp(t, map[string]any{"id": 1, "args": nil}), new(wire.Request), nil},
		{"non-string key", []byte{0x81, 0x01, 0x02}, new(wire.Request), wire.ErrWrongType},
		{"slice as map", mp(t, map[string]any{"users": map[string]any{}}), new(wire.InviteArgs), wire.ErrWrongType},
	} {
		err := wire.Decode(c.b, c.v)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestFieldKinds: one check per kind.
func TestFieldKinds(t *testing.T) {
	for _, c := range []struct {
		f  wire.Field
		s  string
		ok bool
	}{
		{wire.FieldText, "two\nlines\tand 中文 😀", true},
		{wire.FieldText, "bell\a", false},
		{wire.FieldText, "\xff", false},
		{wire.FieldText, "c1\u0085", false},
		{wire.FieldName, "Book club 读书会", true},
		{wire.FieldName, "two\nlines", false},
		{wire.FieldUser, "alice", true},
		{wire.FieldUser, "al ice", false},
		{wire.FieldUser, "alice\u3000", false},
		{wire.FieldUser, string(make([]byte, 65)), false},
		{wire.FieldGroup, "g_abc-123", true},
		{wire.FieldGroup, "g/abc", false},
		{wire.FieldCode, "gabc-K3M7Q2ZA", true},
		{wire.FieldCode, "gabc K3", false},
		{wire.FieldGroup, "", true},
	} {
		if err := wire.CheckField(c.f, c.s); (err == nil) != c.ok {
			t.Errorf("%s %q: %v", c.f, c.s, err)
		}
	}
	if wire.FieldOf("g") != wire.FieldGroup || wire.FieldOf("users") != wire.FieldUser || wire.FieldOf("whatever") != wire.FieldText {
		t.Fatal("FieldOf")
	}
}
