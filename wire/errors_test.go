package wire_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// stableCodes pins every error code's number and name. Clients match on
// these; they never change (append-only).
var stableCodes = map[wire.Code]string{
	1: "bad_frame", 2: "frame_too_large", 3: "bad_version", 4: "handshake_timeout",
	5: "too_many_in_flight", 6: "slow_consumer", 7: "shutting_down", 8: "expected_hello",
	9:   "unexpected_frame",
	100: "unauthenticated", 101: "token_expired",
	200: "bad_request", 201: "unknown_op", 202: "no_such_group", 203: "not_member",
	204: "already_member", 205: "forbidden", 206: "group_full", 207: "muted", 208: "banned",
	209: "limit_reached", 210: "not_found", 211: "conflict", 212: "rejected", 213: "pending",
	214: "invalid_code", 215: "dissolved", 216: "not_allowed", 217: "threshold_not_met",
	300: "diverted", 301: "recall_window", 302: "not_reviewed",
	320: "not_a_room", 321: "room_closed", 322: "rate_limited",
	500: "internal", 501: "unavailable", 502: "timeout",
	// Commerce.
	340: "insufficient_funds", 341: "packet_empty", 342: "packet_expired", 343: "packet_recalled",
	344: "wrong_group", 345: "not_eligible", 346: "lottery_closed", 347: "sold_out", 348: "read_only",
	349: "payment_pending",
	350: "pruned",
	370: "reply_too_large", 372: "too_many_connections", 373: "replaced",
	374: "token_revoked",
}

// declaredConsts parses the package's non-test sources and returns the
// constants declared with the given type and a literal value.
func declaredConsts(t *testing.T, typ string) map[string]uint64 {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]uint64{}
	for _, fn := range names {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			id, ok := vs.Type.(*ast.Ident)
			if !ok || id.Name != typ || len(vs.Values) != len(vs.Names) {
				return false
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.INT {
					t.Fatalf("%s: value is not an integer literal", name.Name)
				}
				v, err := strconv.ParseUint(lit.Value, 0, 64)
				if err != nil {
					t.Fatal(err)
				}
				out[name.Name] = v
			}
			return false
		})
	}
	if len(out) == 0 {
		t.Fatalf("no constants of type %s found", typ)
	}
	return out
}

func TestCodeNames(t *testing.T) {
	declared := declaredConsts(t, "Code")
	seenNum := map[uint64]string{}
	for name, v := range declared {
		if other, dup := seenNum[v]; dup {
			t.Errorf("%s and %s share number %d", name, other, v)
		}
		seenNum[v] = name
		want, ok := stableCodes[wire.Code(v)]
		if !ok {
			t.Errorf("%s = %d is not in the stable table (add it here and to docs/protocol.md)", name, v)
			continue
		}
		if got := wire.Code(v).String(); got != want {
			t.Errorf("%s: String() = %q, want %q", name, got, want)
		}
	}
	if len(declared) != len(stableCodes) {
		t.Errorf("%d codes declared, %d in the stable table: a code was removed", len(declared), len(stableCodes))
	}
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seenName := map[string]wire.Code{}
	for c, name := range stableCodes {
		if !snake.MatchString(name) {
			t.Errorf("%d: %q is not snake_case", c, name)
		}
		if other, dup := seenName[name]; dup {
			t.Errorf("%d and %d share the name %q", c, other, name)
		}
		seenName[name] = c
		if c.String() != name {
			t.Errorf("Code(%d).String() = %q, want %q", c, c.String(), name)
		}
	}
	for _, c := range []wire.Code{0, 10, 99, 218, 999, 65535} {
		if got, want := c.String(), fmt.Sprintf("code_%d", c); got != want {
			t.Errorf("unknown code: %q, want %q", got, want)
		}
	}
}

func TestErrorIs(t *testing.T) {
	err := wire.Errorf(wire.CodeNotMember, "not a member of %q", "g1")
	if !errors.Is(err, wire.ErrNotMember) {
		t.Error("Is(not_member, ErrNotMember) = false")
	}
	if errors.Is(err, wire.ErrForbidden) || errors.Is(err, wire.ErrNoSuchGroup) {
		t.Error("matched a different code")
	}
	wrapped := fmt.Errorf("join: %w", err)
	if !errors.Is(wrapped, wire.ErrNotMember) || errors.Is(wrapped, wire.ErrBanned) {
		t.Error("wrapped error matched wrongly")
	}
	if errors.Is(errors.New("not_member"), wire.ErrNotMember) || errors.Is(io.EOF, wire.ErrNotMember) {
		t.Error("plain error matched a code")
	}
	// Matching is on the code alone: messages do not matter.
	if !errors.Is(wire.Errorf(wire.CodeMuted, "a"), wire.Errorf(wire.CodeMuted, "b")) {
		t.Error("same code, different message: no match")
	}
	sentinels := map[*wire.Error]wire.Code{
		wire.ErrBadRequest: wire.CodeBadRequest, wire.ErrNoSuchGroup: wire.CodeNoSuchGroup,
		wire.ErrNotMember: wire.CodeNotMember, wire.ErrAlreadyMember: wire.CodeAlreadyMember,
		wire.ErrForbidden: wire.CodeForbidden, wire.ErrGroupFull: wire.CodeGroupFull, wire.ErrMuted: wire.CodeMuted,
		wire.ErrBanned: wire.CodeBanned, wire.ErrLimitReached: wire.CodeLimitReached, wire.ErrNotFound: wire.CodeNotFound,
		wire.ErrUnauthenticated: wire.CodeUnauthenticated, wire.ErrSlowConsumer: wire.CodeSlowConsumer,
		wire.ErrUnavailable: wire.CodeUnavailable,
	}
	for s, c := range sentinels {
		if s.Code != c || !errors.Is(wire.Errorf(c, "x"), s) {
			t.Errorf("sentinel for %v", c)
		}
		for s2, c2 := range sentinels {
			if c2 != c && errors.Is(s, s2) {
				t.Errorf("%v matches %v", c, c2)
			}
		}
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want wire.Code
	}{
		{wire.Errorf(wire.CodeGroupFull, "full"), wire.CodeGroupFull},
		{fmt.Errorf("a: %w", fmt.Errorf("b: %w", wire.ErrBanned)), wire.CodeBanned},
		{&wire.Error{Code: wire.CodeTimeout}, wire.CodeTimeout},
		{errors.Join(io.EOF, wire.ErrMuted), wire.CodeMuted},
		{errors.New("boom"), wire.CodeInternal},
		{nil, wire.CodeInternal},
	}
	for _, tc := range tests {
		if got := wire.CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	if got := wire.Errorf(wire.CodeNotMember, "not a member of %q", "g1").Error(); got != `qun: not_member (203): not a member of "g1"` {
		t.Errorf("got %q", got)
	}
	if got := wire.ErrGroupFull.Error(); got != "qun: group_full (206)" {
		t.Errorf("got %q", got)
	}
	if got := (&wire.Error{Code: 4242}).Error(); got != "qun: code_4242 (4242)" {
		t.Errorf("got %q", got)
	}
}

// TestErrorFrameCarriesError: the ErrorFrame a client receives rebuilds the
// server's *Error, code and text.
func TestErrorFrameCarriesError(t *testing.T) {
	src := wire.Errorf(wire.CodeGroupFull, "group %q is full (%d members)", exGroup, 200)
	f := mustFrame(t, wire.FrameError, &wire.ErrorFrame{ID: 12, Code: src.Code, Msg: src.Msg})
	var ef wire.ErrorFrame
	if err := wire.Decode(body(t, f), &ef); err != nil {
		t.Fatal(err)
	}
	got := &wire.Error{Code: ef.Code, Msg: ef.Msg}
	if ef.ID != 12 || !errors.Is(got, wire.ErrGroupFull) || got.Error() != src.Error() {
		t.Fatalf("got %v (id %d)", got, ef.ID)
	}
}
