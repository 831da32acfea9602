package engine

import (
	"crypto/rand"
	"encoding/base32"
	"strings"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// Argument helpers: every request's arguments are decoded here, once, into
// their concrete wire type (never into interface{}); the ids they name are
// checked here too.

// parseArgs decodes a request's arguments (absent = empty map) into v.
func parseArgs(args []byte, v any) error {
	if err := wire.DecodeArgs(args, v); err != nil {
		return err
	}
	return nil
}

// parseGroupArgs decodes args into v, then checks the group id decoding
// left in *g (a field of v).
func parseGroupArgs(args []byte, v any, g *string) error {
	if err := parseArgs(args, v); err != nil {
		return err
	}
	return validGroupID(*g)
}

// groupArgs decodes arguments that must be present and name a group into v,
// and returns that group.
func groupArgs(args []byte, v any, g *string) (string, error) {
	if len(args) == 0 {
		return "", wire.Errorf(wire.CodeBadRequest, "missing arguments")
	}
	if err := parseGroupArgs(args, v, g); err != nil {
		return "", err
	}
	return *g, nil
}

// groupOf extracts the group id from a request's arguments.
func groupOf(args []byte) (string, error) {
	var a wire.GroupArgs
	return groupArgs(args, &a, &a.Group)
}

// Group ids are "g" followed by 16 base32 characters, or host-chosen ids of
// up to 64 bytes of [A-Za-z0-9_-].
func validGroupID(g string) error {
	if g == "" || len(g) > 64 {
		return wire.Errorf(wire.CodeBadRequest, "invalid group id")
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return wire.Errorf(wire.CodeBadRequest, "invalid group id %q", g)
		}
	}
	return nil
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newGroupID() string {
	raw := make([]byte, 10)
	_, _ = rand.Read(raw)
	return "g" + b32.EncodeToString(raw)
}

// groupOfCode returns the group an invite code belongs to.
func groupOfCode(code string) (string, bool) {
	i := strings.LastIndexByte(code, '-')
	if i <= 0 || len(code) > actors.MaxCodeLen || validGroupID(code[:i]) != nil {
		return "", false
	}
	return code[:i], true
}
