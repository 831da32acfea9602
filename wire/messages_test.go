package wire_test

import (
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

func TestMessageCheck(t *testing.T) {
	const max = 16
	text := func(s string, at ...string) wire.Body { return wire.Body{Text: &wire.TextBody{Text: s, Mentions: at}} }
	mentions := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "u"
		}
		return out
	}
	sys := &wire.SystemBody{Event: wire.EventJoined, Actor: "a", Target: "a"}
	tests := []struct {
		name string
		m    wire.Message
		ok   bool
	}{
		{"text", wire.Message{Type: wire.MsgText, Body: text("hi")}, true},
		{"text at limit", wire.Message{Type: wire.MsgText, Body: text(strings.Repeat("x", max))}, true},
		{"text over limit", wire.Message{Type: wire.MsgText, Body: text(strings.Repeat("x", max+1))}, false},
		{"limit counts bytes", wire.Message{Type: wire.MsgText, Body: text(strings.Repeat("é", max/2+1))}, false},
		{"empty text", wire.Message{Type: wire.MsgText, Body: text("")}, false},
		{"no body", wire.Message{Type: wire.MsgText}, false},
		{"system body on text", wire.Message{Type: wire.MsgText, Body: wire.Body{System: sys}}, false},
		{"both bodies", wire.Message{Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "x"}, System: sys}}, false},
		{"50 mentions", wire.Message{Type: wire.MsgText, Body: text("x", mentions(50)...)}, true},
		{"51 mentions", wire.Message{Type: wire.MsgText, Body: text("x", mentions(51)...)}, false},
		{"system message from a client", wire.Message{Type: wire.MsgSystem, Body: wire.Body{System: sys}}, false},
		{"type 0", wire.Message{Type: 0, Body: text("x")}, false},
		{"unknown type", wire.Message{Type: 99, Body: text("x")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Check(max)
			if tc.ok != (err == nil) {
				t.Fatalf("Check = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && wire.CodeOf(err) != wire.CodeBadRequest {
				t.Fatalf("code %v, want bad_request", wire.CodeOf(err))
			}
		})
	}
}

// TestMessageCheckUTF8: Check refuses text that is not UTF-8.
// msgpack str is UTF-8 by specification, and strict decoders in other
// languages refuse such a string, so one member could make every such
// client in the group fail on a push. See the report.
func TestMessageCheckUTF8(t *testing.T) {
	m := wire.Message{Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "bad \xff\xfe"}}}
	if err := m.Check(4096); err == nil {
		t.Fatal("Check accepted text that is not valid UTF-8")
	}
}
