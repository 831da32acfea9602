package wire_test

import (
	"testing"

	"github.com/qunchat/qun/wire"
)

// TestOpNames: every operation up to the last has its own stable name, and
// an unknown code prints as its number.
func TestOpNames(t *testing.T) {
	seen := map[string]wire.Op{}
	for op := wire.OpCreateGroup; op <= wire.OpListInvites; op++ {
		n := op.String()
		if n == "" || n == "op_"+itoa(int(op)) {
			t.Errorf("op %d has no name", op)
		}
		if o, dup := seen[n]; dup {
			t.Errorf("ops %d and %d share the name %q", o, op, n)
		}
		seen[n] = op
	}
	if wire.OpSend.String() != "send" || wire.OpListInvites.String() != "list_invites" {
		t.Errorf("names changed: %s, %s", wire.OpSend, wire.OpListInvites)
	}
	if s := wire.Op(4000).String(); s != "op_4000" {
		t.Errorf("unknown op prints %q", s)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
