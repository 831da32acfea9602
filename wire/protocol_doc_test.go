package wire_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// The worked examples in docs/protocol.md are generated from the wire
// package. To refresh both the golden file and the doc after a change:
//
//	go test ./wire/ -run TestProtocolDoc -update
var update = flag.Bool("update", false, "rewrite testdata/protocol_examples.txt and the example blocks of docs/protocol.md")

const (
	docPath    = "../docs/protocol.md"
	goldenPath = "testdata/protocol_examples.txt"
)

// Example token: what a server with docSecret accepts until exp (2027-01-01).
const (
	docSecret = "doc-example-secret-0123456789abcdef"
	docClaims = `{"sub":"alice","exp":1798761600,"iat":1767225600}`
)

func docToken() string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(docClaims))
	m := hmac.New(sha256.New, []byte(docSecret))
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

type docExample struct {
	name string
	t    wire.FrameType
	v    any
}

func docExamples(tb testing.TB) []docExample {
	push := &wire.Push{Group: exGroup, Msgs: []wire.Message{
		{Seq: 42, Time: 1767225601500, Sender: "alice", CMID: "c-0001", Type: wire.MsgText,
			Body: wire.Body{Text: &wire.TextBody{Text: "hi @bob", Mentions: []string{"bob"}}}},
		{Seq: 43, Time: 1767225602000, Sender: "carol", Type: wire.MsgSystem,
			Body: wire.Body{System: &wire.SystemBody{Event: wire.EventJoined, Actor: "carol", Target: "carol"}}},
	}}
	return []docExample{
		{"hello", wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: docToken(), Client: "qun-doc/1"}},
		{"welcome", wire.FrameWelcome, &wire.Welcome{Version: wire.ProtocolVersion, User: "alice", Session: "m2q7k3v9x4b8n5cz",
			MaxFrame: wire.DefaultMaxFrameSize, MaxInFlight: 256, Time: 1767225600123}},
		{"send-request", wire.FrameRequest, &wire.Request{ID: 7, Op: wire.OpSend, Args: mustMarshal(tb, sendArgs())}},
		{"send-reply", wire.FrameReply, &wire.Reply{ID: 7, Body: mustMarshal(tb, &wire.SendResult{Seq: 42, Time: 1767225601500})}},
		{"push", wire.FramePush, push},
		{"request-error", wire.FrameError, &wire.ErrorFrame{ID: 8, Code: wire.CodeNotMember, Msg: "not a member"}},
		{"connection-error", wire.FrameError, &wire.ErrorFrame{ID: 0, Code: wire.CodeSlowConsumer, Msg: "outbound queue full: reconnect and resync"}},
		{"history-request", wire.FrameRequest, &wire.Request{ID: 12, Op: wire.OpHistory,
			Args: mustMarshal(tb, &wire.HistoryArgs{Group: exGroup, After: wire.After(0), Limit: 100})}},
		{"resync-request", wire.FrameRequest, &wire.Request{ID: 9, Op: wire.OpResync,
			Args: mustMarshal(tb, &wire.ResyncArgs{Groups: map[string]uint64{exGroup: 40}})}},
		{"gap", wire.FrameGap, &wire.Gap{Group: exGroup, From: 1041, To: 1500}},
		{"resync-reply", wire.FrameReply, &wire.Reply{ID: 9, Body: mustMarshal(tb, &wire.ResyncResult{
			Groups: []wire.ResyncGroup{{Group: exGroup, LastSeq: 1500, Sent: 1000, Gap: true}}})}},
		{"ping", wire.FramePing, &wire.Ping{N: 1}},
		{"create-invite-request", wire.FrameRequest, &wire.Request{ID: 21, Op: wire.OpCreateInvite,
			Args: mustMarshal(tb, &wire.CreateInviteArgs{Group: exGroup, TTL: 86400000, MaxUses: 10})}},
		{"create-invite-reply", wire.FrameReply, &wire.Reply{ID: 21, Body: mustMarshal(tb, &wire.InviteResult{Invite: wire.Invite{
			Code: exCode, Creator: "alice", Expires: 1767312000000, MaxUses: 10}})}},
		{"join-code-request", wire.FrameRequest, &wire.Request{ID: 3, Op: wire.OpJoin, Args: mustMarshal(tb, &wire.JoinArgs{Code: exCode})}},
		{"mute-request", wire.FrameRequest, &wire.Request{ID: 22, Op: wire.OpMute,
			Args: mustMarshal(tb, &wire.TargetArgs{Group: exGroup, User: "bob", Duration: 600000})}},
		{"mute-push", wire.FramePush, &wire.Push{Group: exGroup, Msgs: []wire.Message{{Seq: 44, Time: 1767225603000, Sender: "alice",
			Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: wire.EventMuted, Actor: "alice", Target: "bob", Until: 1767226203000}}}}}},
		{"muted-error", wire.FrameError, &wire.ErrorFrame{ID: 5, Code: wire.CodeMuted, Msg: "you are muted until 1767226203000"}},
		{"notice", wire.FrameNotice, &wire.Notice{Kind: wire.EventJoinRequest, Group: exGroup, User: "carol", Text: "fan since 2020"}},
		{"product-request", wire.FrameRequest, &wire.Request{ID: 30, Op: wire.OpSend, Args: mustMarshal(tb, &wire.SendArgs{Group: exGroup, CMID: "c-0002",
			Type: wire.MsgProduct, Body: wire.Body{Product: &wire.ProductBody{ID: "sku-88", Title: "登山杖", Price: 12900, Currency: "CNY"}}})}},
		{"notify-request", wire.FrameRequest, &wire.Request{ID: 31, Op: wire.OpNotifyCreator, Args: mustMarshal(tb, &wire.CreatorNoticeArgs{
			ID: "live-20260101", Kind: wire.NoticeLive, Room: "r42", Title: "开播啦"})}},
		{"notify-reply", wire.FrameReply, &wire.Reply{ID: 31, Body: mustMarshal(tb, &wire.CreatorNoticeResult{Groups: []wire.NoticeGroup{
			{Group: exGroup, Seq: 58}, {Group: "gfans2", Seq: 7, Dup: true}}})}},
		{"threshold-error", wire.FrameError, &wire.ErrorFrame{ID: 4, Code: wire.CodeThresholdNotMet,
			Msg: "follow_days: follow cara for 7 more days (needs 10 days, followed 3)"}},
		{"recall-push", wire.FramePush, &wire.Push{Group: exGroup, Msgs: []wire.Message{{Seq: 59, Time: 1767225660000, Sender: "bob",
			Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: wire.EventRecalled, Actor: "bob", Target: "bob", Text: "57"}}}}}},
		{"room-send-request", wire.FrameRequest, &wire.Request{ID: 31, Op: wire.OpRoomSend, Args: mustMarshal(tb, &wire.RoomSendArgs{
			Group: "room-live42", CMID: "g-77", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "rocket x1"}}, Lane: wire.LaneHigh})}},
		{"room-push", wire.FrameRoomPush, &wire.RoomPush{Group: "room-live42", Skipped: 37, Online: 18000, Msgs: []wire.Message{
			{Seq: 9001, Time: 1767225601500, Sender: "dave", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "666"}}, Lane: wire.LaneChatter},
			{Seq: 9002, Time: 1767225601510, Sender: "erin", CMID: "g-77", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "rocket x1"}}, Lane: wire.LaneHigh},
		}}},
		{"rate-limited-error", wire.FrameError, &wire.ErrorFrame{ID: 32, Code: wire.CodeRateLimited, Msg: "at most 1 messages per second per viewer", RetryAfter: 640}},
	}
}

// exCode is the invite code of the examples: the group id, "-", 8 characters.
const exCode = exGroup + "-K3M7Q2ZA"

// ---- annotated hex dumps ----

type annLine struct {
	depth int
	hex   []byte
	note  string
}

type annotator struct {
	lines []annLine
	err   error
}

func (a *annotator) add(depth int, b []byte, note string) {
	for len(b) > 16 {
		a.lines = append(a.lines, annLine{depth, b[:16], note})
		b, note = b[16:], ""
	}
	a.lines = append(a.lines, annLine{depth, b, note})
}

func quote(s string) string {
	if n := 40; len([]rune(s)) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return strconv.QuoteToGraphic(s)
}

// scalar describes a non-container value at b; ok is false for containers.
func scalar(b []byte) (size int, desc string, ok bool) {
	c := b[0]
	be := binary.BigEndian
	str := func(hdr, n int, kind string) (int, string, bool) {
		s := string(b[hdr : hdr+n])
		if kind == "" {
			return hdr + n, quote(s), true
		}
		return hdr + n, fmt.Sprintf("%s (%s, %d bytes)", quote(s), kind, n), true
	}
	switch {
	case c <= 0x7f:
		return 1, strconv.Itoa(int(c)), true
	case c >= 0xe0:
		return 1, strconv.Itoa(int(int8(c))), true
	case c >= 0xa0 && c <= 0xbf:
		return str(1, int(c&0x1f), "")
	}
	switch c {
	case 0xc0:
		return 1, "nil", true
	case 0xc2:
		return 1, "false", true
	case 0xc3:
		return 1, "true", true
	case 0xcc:
		return 2, fmt.Sprintf("%d (uint8)", b[1]), true
	case 0xcd:
		return 3, fmt.Sprintf("%d (uint16)", be.Uint16(b[1:])), true
	case 0xce:
		return 5, fmt.Sprintf("%d (uint32)", be.Uint32(b[1:])), true
	case 0xcf:
		return 9, fmt.Sprintf("%d (uint64)", be.Uint64(b[1:])), true
	case 0xd0:
		return 2, fmt.Sprintf("%d (int8)", int8(b[1])), true
	case 0xd1:
		return 3, fmt.Sprintf("%d (int16)", int16(be.Uint16(b[1:]))), true
	case 0xd2:
		return 5, fmt.Sprintf("%d (int32)", int32(be.Uint32(b[1:]))), true
	case 0xd3:
		return 9, fmt.Sprintf("%d (int64)", int64(be.Uint64(b[1:]))), true
	case 0xca:
		return 5, fmt.Sprintf("%g (float32)", math.Float32frombits(be.Uint32(b[1:]))), true
	case 0xcb:
		return 9, fmt.Sprintf("%g (float64)", math.Float64frombits(be.Uint64(b[1:]))), true
	case 0xd9:
		return str(2, int(b[1]), "str8")
	case 0xda:
		return str(3, int(be.Uint16(b[1:])), "str16")
	case 0xdb:
		return str(5, int(be.Uint32(b[1:])), "str32")
	case 0xc4:
		return 2 + int(b[1]), fmt.Sprintf("bin8, %d bytes", b[1]), true
	case 0xc5:
		return 3 + int(be.Uint16(b[1:])), fmt.Sprintf("bin16, %d bytes", be.Uint16(b[1:])), true
	case 0xc6:
		return 5 + int(be.Uint32(b[1:])), fmt.Sprintf("bin32, %d bytes", be.Uint32(b[1:])), true
	}
	return 0, "", false
}

// container describes a map or array header at b.
func container(b []byte) (hdr, n int, isMap bool, kind string) {
	c := b[0]
	be := binary.BigEndian
	switch {
	case c >= 0x80 && c <= 0x8f:
		return 1, int(c & 0x0f), true, ""
	case c >= 0x90 && c <= 0x9f:
		return 1, int(c & 0x0f), false, ""
	}
	switch c {
	case 0xdc:
		return 3, int(be.Uint16(b[1:])), false, " (array16)"
	case 0xdd:
		return 5, int(be.Uint32(b[1:])), false, " (array32)"
	case 0xde:
		return 3, int(be.Uint16(b[1:])), true, " (map16)"
	case 0xdf:
		return 5, int(be.Uint32(b[1:])), true, " (map32)"
	}
	panic(fmt.Sprintf("annotate: unexpected msgpack code 0x%02x", c))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func containerNote(n int, isMap bool, kind string) string {
	if isMap {
		return "map, " + plural(n, "entry", "entries") + kind
	}
	return "array, " + plural(n, "element", "elements") + kind
}

// value annotates the value at b (validated msgpack) and returns its size.
// prefix holds bytes (a map key) to print on the value's first line, label
// its description.
func (a *annotator) value(b []byte, depth int, prefix []byte, label string) int {
	if size, desc, ok := scalar(b); ok {
		if len(prefix)+size <= 16 {
			a.add(depth, append(bytes.Clone(prefix), b[:size]...), label+desc)
		} else {
			if len(prefix) > 0 {
				a.add(depth, prefix, strings.TrimSuffix(label, " "))
				depth++
			}
			a.add(depth, b[:size], desc)
		}
		return size
	}
	hdr, n, isMap, kind := container(b)
	a.add(depth, append(bytes.Clone(prefix), b[:hdr]...), label+containerNote(n, isMap, kind))
	off := hdr
	for i := 0; i < n; i++ {
		if isMap {
			ks, kdesc, ok := scalar(b[off:])
			if !ok {
				panic("annotate: container as map key")
			}
			key := b[off : off+ks]
			off += ks
			off += a.value(b[off:], depth+1, key, kdesc+": ")
		} else {
			off += a.value(b[off:], depth+1, nil, "")
		}
	}
	return off
}

// annotate renders one frame: its hex in one piece, then byte by byte.
func annotate(frame []byte) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "frame, %d bytes:\n", len(frame))
	h := hex.EncodeToString(frame)
	for len(h) > 64 {
		sb.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	sb.WriteString(h + "\n\n")

	n := binary.BigEndian.Uint32(frame)
	ft := wire.FrameType(frame[4])
	a := &annotator{}
	a.add(0, frame[:4], fmt.Sprintf("length %d = 1 type byte + %d body bytes", n, n-1))
	a.add(0, frame[4:5], fmt.Sprintf("frame type %d: %s", uint8(ft), ft))
	if len(frame) > 5 {
		a.value(frame[5:], 0, nil, "body: ")
	}
	for _, l := range a.lines {
		left := strings.Repeat("  ", l.depth) + spaced(l.hex)
		if l.note == "" {
			sb.WriteString(left + "\n")
			continue
		}
		pad := 58 - len(left)
		if pad < 2 {
			pad = 2
		}
		sb.WriteString(left + strings.Repeat(" ", pad) + l.note + "\n")
	}
	return sb.String()
}

func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}

// ---- the tests ----

func renderExamples(t *testing.T) (names []string, blocks map[string]string) {
	blocks = map[string]string{}
	for _, ex := range docExamples(t) {
		f := mustFrame(t, ex.t, ex.v)
		// Each example reads back into its value.
		ft, b, _, err := wire.ReadFrame(bufio.NewReader(bytes.NewReader(f)), wire.DefaultMaxFrameSize, nil)
		if err != nil || ft != ex.t {
			t.Fatalf("%s: %v %v", ex.name, err, ft)
		}
		got := reflect.New(reflect.TypeOf(ex.v).Elem()).Interface()
		if err := wire.Decode(b, got); err != nil || !reflect.DeepEqual(got, ex.v) {
			t.Fatalf("%s: round trip: %v", ex.name, err)
		}
		names = append(names, ex.name)
		blocks[ex.name] = annotate(f)
	}
	return names, blocks
}

func TestProtocolDocExamples(t *testing.T) {
	names, blocks := renderExamples(t)
	var golden strings.Builder
	for _, n := range names {
		fmt.Fprintf(&golden, "=== %s\n%s\n", n, blocks[n])
	}
	if *update {
		if err := os.WriteFile(goldenPath, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != golden.String() {
		t.Errorf("%s is stale: the wire encoding changed. Check the change is intended, then run with -update\n%s", goldenPath, firstDiff(string(want), golden.String()))
	}

	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, n := range names {
		start, end, ok := exampleBlock(text, n)
		if !ok {
			t.Errorf("%s has no block for example %q (<!-- example: %s --> then a ```text block)", docPath, n, n)
			continue
		}
		if text[start:end] == blocks[n] {
			continue
		}
		if *update {
			text = text[:start] + blocks[n] + text[end:]
			continue
		}
		t.Errorf("%s: example %q differs from the encoding; run with -update\n%s", docPath, n, firstDiff(text[start:end], blocks[n]))
	}
	if *update && text != string(doc) {
		if err := os.WriteFile(docPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exampleBlock finds the contents of the ```text block after the marker.
func exampleBlock(doc, name string) (start, end int, ok bool) {
	marker := "<!-- example: " + name + " -->"
	i := strings.Index(doc, marker)
	if i < 0 {
		return 0, 0, false
	}
	const open = "```text\n"
	j := strings.Index(doc[i:], open)
	if j < 0 {
		return 0, 0, false
	}
	start = i + j + len(open)
	k := strings.Index(doc[start:], "```")
	if k < 0 {
		return 0, 0, false
	}
	return start, start + k, true
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n have %q\n want %q", i+1, x, y)
		}
	}
	return ""
}

// wireStruct is a struct type of the package and its msgpack keys.
type wireStruct struct {
	name string
	keys map[string]bool // key -> omitempty
}

func wireStructs(t *testing.T) []wireStruct {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []wireStruct
	fset := token.NewFileSet()
	for _, fn := range names {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok || !ts.Name.IsExported() {
				return false
			}
			ws := wireStruct{name: ts.Name.Name, keys: map[string]bool{}}
			for _, fld := range st.Fields.List {
				if fld.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(fld.Tag.Value)
				mp, ok := reflect.StructTag(tag).Lookup("msgpack")
				if !ok || mp == "-" {
					continue
				}
				parts := strings.Split(mp, ",")
				ws.keys[parts[0]] = strings.Contains(mp, "omitempty")
			}
			out = append(out, ws)
			return false
		})
	}
	return out
}

// docSection returns the lines under the heading that names `name`, up to
// the next heading.
func docSection(doc, name string) ([]string, bool) {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") && strings.Contains(l, "`"+name+"`") {
			var out []string
			for _, m := range lines[i+1:] {
				if strings.HasPrefix(m, "#") {
					break
				}
				out = append(out, m)
			}
			return out, true
		}
	}
	return nil, false
}

// headingSection returns the lines under the heading line title, up to the
// next heading.
func headingSection(doc, title string) []string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if l != title {
			continue
		}
		var out []string
		for _, m := range lines[i+1:] {
			if strings.HasPrefix(m, "#") {
				break
			}
			out = append(out, m)
		}
		return out
	}
	return nil
}

// TestProtocolDocCoversWire checks docs/protocol.md against the code: every
// body type has a table with exactly its keys (optional ones marked), and
// every frame type, op, error code, message type, role and event is listed
// with its number.
func TestProtocolDocCoversWire(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rowKey := regexp.MustCompile("^\\| `\"([a-z0-9_]+)\"` \\|")
	for _, ws := range wireStructs(t) {
		if ws.name == "Error" { // sent as ErrorFrame
			continue
		}
		sec, ok := docSection(doc, ws.name)
		if !ok {
			t.Errorf("no section for `%s`", ws.name)
			continue
		}
		seen := map[string]bool{}
		for _, l := range sec {
			m := rowKey.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			k := m[1]
			seen[k] = true
			omit, ok := ws.keys[k]
			if !ok {
				t.Errorf("`%s`: documented key %q does not exist", ws.name, k)
				continue
			}
			if omit != strings.Contains(l, "optional") {
				t.Errorf("`%s`: key %q: omitempty=%v but the row says otherwise: %s", ws.name, k, omit, l)
			}
		}
		for k := range ws.keys {
			if !seen[k] {
				t.Errorf("`%s`: key %q is not documented", ws.name, k)
			}
		}
	}

	row := func(num uint64, name string) bool {
		re := regexp.MustCompile(fmt.Sprintf("(?m)^\\| %d \\|.*`%s`", num, regexp.QuoteMeta(name)))
		return re.MatchString(doc)
	}
	for c, name := range stableCodes {
		if !row(uint64(c), name) {
			t.Errorf("error code %d %s has no table row", c, name)
		}
	}
	for name, v := range declaredConsts(t, "Op") {
		if !row(v, wire.Op(v).String()) {
			t.Errorf("op %s (%d) has no table row", name, v)
		}
	}
	for name, v := range declaredConsts(t, "FrameType") {
		if !row(v, wire.FrameType(v).String()) {
			t.Errorf("frame type %s (%d) has no table row", name, v)
		}
	}
	for name, v := range declaredConsts(t, "MsgType") {
		short := strings.ToLower(strings.TrimPrefix(name, "Msg"))
		if !row(v, short) {
			t.Errorf("message type %s (%d) has no table row", name, v)
		}
	}
	for name, v := range declaredConsts(t, "Role") {
		if !row(v, wire.Role(v).String()) {
			t.Errorf("role %s (%d) has no table row", name, v)
		}
	}
	for name, v := range declaredConsts(t, "JoinPolicy") {
		short := strings.ToLower(strings.TrimPrefix(name, "Join"))
		if !row(v, short) {
			t.Errorf("join policy %s (%d) has no table row", name, v)
		}
	}
	events := eventNames(t)
	for _, ev := range []string{wire.EventCreated, wire.EventJoined, wire.EventLeft, wire.EventMuted, wire.EventJoinRequest} {
		if !slices.Contains(events, ev) {
			t.Fatalf("eventNames missed %q: the parser is broken", ev)
		}
	}
	kinds := noticeKinds(t)
	if !slices.Contains(kinds, wire.EventJoinRequest) || !slices.Contains(kinds, "approved") {
		t.Fatalf("noticeKinds = %q: the parser is broken", kinds)
	}
	sysEvents := strings.Join(headingSection(doc, "#### System events"), "\n")
	noticeTable := strings.Join(headingSection(doc, "#### Notice kinds"), "\n")
	hasRow := func(text, name string) bool {
		return regexp.MustCompile("(?m)^\\| `\"" + regexp.QuoteMeta(name) + "\"` \\|").MatchString(text)
	}
	for _, ev := range events {
		if !hasRow(sysEvents, ev) && !hasRow(noticeTable, ev) {
			t.Errorf("system event %q has no row under System events (or Notice kinds)", ev)
		}
	}
	for _, k := range kinds {
		if !hasRow(noticeTable, k) {
			t.Errorf("notice kind %q has no row under Notice kinds", k)
		}
	}
	for _, n := range []string{strconv.Itoa(wire.DefaultMaxFrameSize), strconv.Itoa(wire.MaxDepth)} {
		if !strings.Contains(doc, n) {
			t.Errorf("limit %s is not mentioned", n)
		}
	}
}

// eventNames returns the values of the package's string constants named
// Event*: every system event name (and the join_request notice kind).
func eventNames(t *testing.T) []string {
	var out []string
	for _, f := range parsePackage(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Event") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, v)
				}
			}
			return false
		})
	}
	return out
}

// noticeKinds returns the quoted kinds listed in the comment of the Kind
// field of Notice, the list of kinds the server sends.
func noticeKinds(t *testing.T) []string {
	var out []string
	quoted := regexp.MustCompile(`"([a-z_]+)"`)
	for _, f := range parsePackage(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Name.Name != "Notice" {
				return true
			}
			for _, fld := range ts.Type.(*ast.StructType).Fields.List {
				if len(fld.Names) == 1 && fld.Names[0].Name == "Kind" && fld.Comment != nil {
					for _, m := range quoted.FindAllStringSubmatch(fld.Comment.Text(), -1) {
						out = append(out, m[1])
					}
				}
			}
			return false
		})
	}
	return out
}

// parsePackage parses the package's non-test sources with comments.
func parsePackage(t *testing.T) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, fn := range names {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fn, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}
