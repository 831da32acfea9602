package actors

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// This file runs docs/permissions.md. The test parses the markdown tables and
// executes every cell on a fresh group machine; the Go tables below only say
// how to perform each action and how to put each actor in place. A row or
// column of the doc that the test does not know, or one the test knows that
// the doc lacks, fails the test, so the page and the code cannot drift.

const permDocPath = "../docs/permissions.md"

// Times of the fixture: setup at permT0, preparation of a cell at permPrep,
// the cell's own request at permCell.
const (
	permT0   = int64(20000 * day)
	permPrep = permT0 + 1000
	permCell = permT0 + 60_000
)

// ---- markdown ----

type permTable struct {
	header []string
	rows   [][]string
}

// permParseTables returns the tables of a markdown file keyed by the text
// of their first header cell.
func permParseTables(t *testing.T, path string) map[string]*permTable {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*permTable{}
	var cur *permTable
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			cur = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cur == nil:
			cur = &permTable{header: cells}
			if _, dup := out[cells[0]]; dup {
				t.Fatalf("%s: two tables headed %q", path, cells[0])
			}
			out[cells[0]] = cur
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the |---| line
		default:
			if len(cells) != len(cur.header) {
				t.Fatalf("%s: row %q has %d cells, header %d", path, line, len(cells), len(cur.header))
			}
			cur.rows = append(cur.rows, cells)
		}
	}
	return out
}

func (m *permTable) col(name string) int {
	for i, h := range m.header {
		if h == name {
			return i
		}
	}
	return -1
}

type permCellKind int

const (
	permCellCode permCellKind = iota // success (code 0) or an error code
	permCellSame                     // "=": as the member column
	permCellNA                       // "—"
)

type permDocCell struct {
	kind permCellKind
	code wire.Code
	text string
}

var permCodeByName = func() map[string]wire.Code {
	m := map[string]wire.Code{}
	for c := 1; c < 1000; c++ {
		if n := wire.Code(c).String(); !strings.HasPrefix(n, "code_") {
			m[n] = wire.Code(c)
		}
	}
	return m
}()

func permParseCell(s string) (permDocCell, error) {
	switch {
	case s == "✓":
		return permDocCell{kind: permCellCode, text: s}, nil
	case s == "=":
		return permDocCell{kind: permCellSame, text: s}, nil
	case s == "—":
		return permDocCell{kind: permCellNA, text: s}, nil
	case len(s) > 2 && s[0] == '`' && s[len(s)-1] == '`':
		if c, ok := permCodeByName[s[1:len(s)-1]]; ok {
			return permDocCell{kind: permCellCode, code: c, text: s}, nil
		}
	}
	return permDocCell{}, fmt.Errorf("cell %q is neither ✓, =, — nor a `code` name", s)
}

func permCodeName(c wire.Code) string {
	if c == 0 {
		return "✓"
	}
	return "`" + c.String() + "`"
}

// ---- the fixture group ----

type permFixture struct {
	t      *testing.T
	m      *GroupMachine
	now    int64
	pinSeq uint64 // a text message of m1
	pinMsg wire.Message
	code   string // the code the engine would generate for create_invite
}

func (f *permFixture) do(user string, op wire.Op, a any) Effects {
	f.t.Helper()
	e := f.m.Handle(Command{Now: f.now, User: user, Op: op, Args: args(f.t, a), Host: f.host()})
	f.m.MarkDurable(f.m.LastSeq())
	return e
}

func (f *permFixture) must(user string, op wire.Op, a any) Effects {
	f.t.Helper()
	e := f.do(user, op, a)
	if e.Err != nil {
		f.t.Fatalf("setup: %s %s %+v: %v", user, op, a, e.Err)
	}
	return e
}

func (f *permFixture) host() []byte {
	return args(f.t, HostFacts{Code: f.code, Year: 2025, Message: &f.pinMsg})
}

func permPtr[T any](v T) *T { return &v }

func (f *permFixture) setJoin(p wire.JoinPolicy) {
	f.must("owner", wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: "g1", Join: &p})
}

func (f *permFixture) membersInvite(on bool) {
	f.must("owner", wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: "g1", MembersInvite: &on})
}

func (f *permFixture) muteFor(user string, d int64) Effects {
	return f.do("owner", wire.OpMute, wire.TargetArgs{Group: "g1", User: user, Duration: d})
}

// newPermFixture builds the group every cell starts from (see the doc's
// "Action × actor" section).
func newPermFixture(t *testing.T) *permFixture {
	t.Helper()
	f := &permFixture{t: t, m: NewGroupMachine("g1", DefaultGroupConfig()), now: permT0}
	f.must("owner", wire.OpCreateGroup, wire.CreateGroupArgs{Name: "perm"})
	for _, u := range []string{"admin", "admin2", "m1", "m2", "muted", "banned"} {
		f.must(u, wire.OpJoin, wire.JoinArgs{Group: "g1"})
	}
	for _, u := range []string{"admin", "admin2"} {
		f.must("owner", wire.OpSetRole, wire.TargetArgs{Group: "g1", User: u, Role: wire.RoleAdmin})
	}
	f.membersInvite(true)
	for _, u := range []string{"owner", "admin", "m1", "m2", "muted"} {
		f.code = "g1-" + u
		f.must(u, wire.OpCreateInvite, wire.CreateInviteArgs{Group: "g1"})
	}
	f.code = "g1-NEW"
	f.membersInvite(false)
	if e := f.muteFor("muted", day); e.Err != nil {
		t.Fatal(e.Err)
	}
	f.must("owner", wire.OpBan, wire.TargetArgs{Group: "g1", User: "banned"})
	f.pinMsg = f.must("m1", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("pin me")}).Records[0].Msg
	f.pinSeq = f.pinMsg.Seq
	f.must("owner", wire.OpAnnounce, wire.AnnounceArgs{Group: "g1", Text: "house rules"})
	f.setJoin(wire.JoinApproval)
	f.must("applicant", wire.OpApply, wire.ApplyArgs{Group: "g1", Note: "let me in"})
	f.setJoin(wire.JoinOpen)
	f.now = permPrep
	return f
}

// run performs the cell's request and checks the code, and that a refusal
// changes nothing.
func (f *permFixture) run(where string, user string, op wire.Op, a any, want wire.Code) {
	f.t.Helper()
	if f.now < permCell {
		f.now = permCell
	}
	before := f.m.LastSeq()
	e := f.m.Handle(Command{Now: f.now, User: user, Op: op, Args: args(f.t, a), Host: f.host()})
	var got wire.Code
	if e.Err != nil {
		got = e.Err.Code
	}
	if got != want {
		f.t.Errorf("%s: %s by %s: got %s (%v), doc says %s", where, op, user, permCodeName(got), e.Err, permCodeName(want))
	}
	if e.Err != nil && (len(e.Records) > 0 || f.m.LastSeq() != before || len(e.Aux) > 0 || len(e.AddUsers)+len(e.RemoveUsers) > 0) {
		f.t.Errorf("%s: refused with %s but changed something: %d records, %d aux writes", where, e.Err.Code, len(e.Records), len(e.Aux))
	}
}

// ---- action × actor ----

type permAction struct {
	name string
	op   wire.Op
	prep func(f *permFixture) // optional: the row's group state
	args func(f *permFixture, actor string) any
}

func permG1(f *permFixture, actor string) any { return wire.GroupArgs{Group: "g1"} }

func permTargetArgs(user string, role wire.Role, d int64) func(*permFixture, string) any {
	return func(*permFixture, string) any {
		return wire.TargetArgs{Group: "g1", User: user, Role: role, Duration: d}
	}
}

func permJoinPolicy(p wire.JoinPolicy) func(f *permFixture) {
	return func(f *permFixture) { f.setJoin(p) }
}

var permActions = []permAction{
	{"send text", wire.OpSend, nil, func(f *permFixture, _ string) any {
		return wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("hello")}
	}},
	{"read history", wire.OpHistory, nil, func(*permFixture, string) any { return wire.HistoryArgs{Group: "g1"} }},
	{"list members", wire.OpMembers, nil, func(*permFixture, string) any { return wire.MembersArgs{Group: "g1"} }},
	{"group info", wire.OpGroupInfo, nil, permG1},
	{"group stats", wire.OpGroupStats, nil, permG1},
	{"join (open group)", wire.OpJoin, nil, func(*permFixture, string) any { return wire.JoinArgs{Group: "g1"} }},
	{"join (approval group)", wire.OpJoin, permJoinPolicy(wire.JoinApproval), func(*permFixture, string) any { return wire.JoinArgs{Group: "g1"} }},
	{"join (invite-only group)", wire.OpJoin, permJoinPolicy(wire.JoinInvite), func(*permFixture, string) any { return wire.JoinArgs{Group: "g1"} }},
	{"join by code", wire.OpJoin, permJoinPolicy(wire.JoinInvite), func(*permFixture, string) any { return wire.JoinArgs{Group: "g1", Code: "g1-admin"} }},
	{"apply (open group)", wire.OpApply, nil, func(*permFixture, string) any { return wire.ApplyArgs{Group: "g1", Note: "hi"} }},
	{"apply (approval group)", wire.OpApply, permJoinPolicy(wire.JoinApproval), func(*permFixture, string) any { return wire.ApplyArgs{Group: "g1", Note: "hi"} }},
	{"apply (invite-only group)", wire.OpApply, permJoinPolicy(wire.JoinInvite), func(*permFixture, string) any { return wire.ApplyArgs{Group: "g1", Note: "hi"} }},
	{"leave", wire.OpLeave, nil, permG1},
	{"update profile/settings", wire.OpUpdateGroup, nil, func(*permFixture, string) any {
		return wire.UpdateGroupArgs{Group: "g1", Profile: wire.Profile{Name: permPtr("renamed"), Searchable: permPtr(true)}}
	}},
	{"set admin", wire.OpSetRole, nil, permTargetArgs("m2", wire.RoleAdmin, 0)},
	{"unset admin", wire.OpSetRole, nil, permTargetArgs("admin2", wire.RoleMember, 0)},
	{"kick", wire.OpKick, nil, permTargetArgs("m2", 0, 0)},
	{"ban", wire.OpBan, nil, permTargetArgs("m2", 0, 0)},
	{"unban", wire.OpUnban, nil, permTargetArgs("banned", 0, 0)},
	{"mute", wire.OpMute, nil, permTargetArgs("m2", 0, 3600_000)},
	{"unmute", wire.OpMute, nil, permTargetArgs("muted", 0, 0)},
	{"mute all on/off", wire.OpMuteAll, nil, func(f *permFixture, _ string) any {
		return wire.MuteAllArgs{Group: "g1", On: !f.m.st.MuteAll}
	}},
	{"transfer ownership", wire.OpTransferOwner, nil, permTargetArgs("m2", 0, 0)},
	{"dissolve", wire.OpDissolve, nil, permG1},
	{"approve request", wire.OpReview, nil, func(*permFixture, string) any {
		return wire.ReviewArgs{Group: "g1", User: "applicant", Approve: true}
	}},
	{"reject request", wire.OpReview, nil, func(*permFixture, string) any {
		return wire.ReviewArgs{Group: "g1", User: "applicant", Approve: false}
	}},
	{"list requests", wire.OpListRequests, nil, permG1},
	{"create invite code", wire.OpCreateInvite, nil, func(*permFixture, string) any {
		return wire.CreateInviteArgs{Group: "g1", MaxUses: 5}
	}},
	// A non-member or banned user has no code of their own: the membership
	// check comes first, so the code named does not matter.
	{"revoke own code", wire.OpRevokeInvite, nil, func(_ *permFixture, actor string) any {
		return wire.RevokeInviteArgs{Group: "g1", Code: "g1-" + actor}
	}},
	{"revoke others' code", wire.OpRevokeInvite, nil, func(*permFixture, string) any {
		return wire.RevokeInviteArgs{Group: "g1", Code: "g1-m2"}
	}},
	{"list invites", wire.OpListInvites, nil, permG1},
	{"invite friends", wire.OpInvite, nil, func(*permFixture, string) any {
		return wire.InviteArgs{Group: "g1", Users: []string{"newbie"}}
	}},
	{"announce", wire.OpAnnounce, nil, func(*permFixture, string) any {
		return wire.AnnounceArgs{Group: "g1", Text: "new rules"}
	}},
	{"acknowledge announcement", wire.OpAckAnnounce, nil, permG1},
	{"announcement state", wire.OpAnnounceState, nil, permG1},
	{"pin message", wire.OpPin, nil, func(f *permFixture, _ string) any { return wire.PinArgs{Group: "g1", Seq: f.pinSeq} }},
	{"unpin message", wire.OpPin, func(f *permFixture) {
		f.must("owner", wire.OpPin, wire.PinArgs{Group: "g1", Seq: f.pinSeq})
	}, func(f *permFixture, _ string) any { return wire.PinArgs{Group: "g1", Seq: f.pinSeq, Unpin: true} }},
	// Fan groups and creator tools (the engine reads the recalled message
	// from the journal and passes it as a host fact).
	{"strong announcement", wire.OpAnnounceStrong, nil, func(*permFixture, string) any {
		return wire.AnnounceArgs{Group: "g1", Text: "read this"}
	}},
	{"recall a member's message", wire.OpRecall, nil, func(f *permFixture, _ string) any { return wire.RecallArgs{Group: "g1", Seq: f.pinSeq} }},
	{"set diversion policy", wire.OpSetDivert, nil, func(*permFixture, string) any {
		return wire.SetDivertArgs{Group: "g1", Policy: wire.DivertBlock}
	}},
	{"change fan settings", wire.OpSetFanGroup, nil, func(*permFixture, string) any {
		return wire.SetFanGroupArgs{Group: "g1", Order: permPtr(1)}
	}},
}

type permColumn struct {
	name  string
	actor string
	prep  func(f *permFixture) // optional
}

var permColumns = []permColumn{
	{"owner", "owner", nil},
	{"admin", "admin", nil},
	{"member", "m1", nil},
	{"member, invites on", "m1", func(f *permFixture) { f.membersInvite(true) }},
	{"muted member", "muted", nil},
	{"member, mute-all on", "m1", func(f *permFixture) {
		f.must("owner", wire.OpMuteAll, wire.MuteAllArgs{Group: "g1", On: true})
	}},
	{"non-member", "stranger", nil},
	{"banned", "banned", nil},
}

var dissolvedColumns = []permColumn{
	{"owner", "owner", nil},
	{"admin", "admin", nil},
	{"member", "m1", nil},
	{"non-member", "stranger", nil},
	{"banned", "banned", nil},
}

// ---- actor × target ----

type permTargetAction struct {
	name string
	op   wire.Op
	role wire.Role
	dur  int64
	// mutedFirst: the owner mutes the target first where it can (unmute).
	mutedFirst bool
}

var permTargetActions = []permTargetAction{
	{name: "kick", op: wire.OpKick},
	{name: "ban", op: wire.OpBan},
	{name: "unban", op: wire.OpUnban},
	{name: "mute", op: wire.OpMute, dur: 3600_000},
	{name: "unmute", op: wire.OpMute, mutedFirst: true},
	{name: "set admin", op: wire.OpSetRole, role: wire.RoleAdmin},
	{name: "unset admin", op: wire.OpSetRole, role: wire.RoleMember},
	{name: "transfer ownership", op: wire.OpTransferOwner},
}

var permTargetActors = map[string]string{"owner": "owner", "admin": "admin", "member": "m1"}

// permTargets maps a target column to the target user; "" means the actor.
var permTargets = []struct{ name, user string }{
	{"self", ""}, {"owner", "owner"}, {"admin", "admin2"}, {"member", "m2"}, {"non-member", "stranger"}, {"banned", "banned"},
}

// ---- speaking ----

var permSenders = map[string]string{"owner": "owner", "admin": "admin", "member": "m1"}

var permSpeaking = []struct {
	name    string
	mute    int64 // the owner mutes the sender for this long first (0: not)
	muteAll bool
}{
	{name: "normal"},
	{name: "muted", mute: day},
	{name: "mute-all on", muteAll: true},
	{name: "muted and mute-all on", mute: day, muteAll: true},
	{name: "mute expired", mute: 1000},
}

// ---- the test ----

// permCheckShape fails unless the doc table's rows and columns are exactly the
// ones the test knows (same names, same order of columns).
func permCheckShape(t *testing.T, what string, tb *permTable, fixed []string, keyCols int, cols []string, rows []string) {
	t.Helper()
	if tb == nil {
		t.Fatalf("docs/permissions.md has no %s table", what)
	}
	want := append(append([]string{}, fixed...), cols...)
	got := tb.header
	if n := len(got); n > 0 && got[n-1] == "Notes" {
		got = got[:n-1]
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%s table: columns %q, the test runs %q", what, got, want)
	}
	inDoc := map[string]bool{}
	for _, r := range tb.rows {
		key := strings.Join(r[:keyCols], " / ")
		if inDoc[key] {
			t.Errorf("%s table: row %q twice", what, key)
		}
		inDoc[key] = true
	}
	inTest := map[string]bool{}
	for _, r := range rows {
		inTest[r] = true
		if !inDoc[r] {
			t.Errorf("%s table: the test runs row %q, which the doc lacks", what, r)
		}
	}
	for r := range inDoc {
		if !inTest[r] {
			t.Errorf("%s table: doc row %q is not exercised by the test", what, r)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func permCellAt(t *testing.T, what string, tb *permTable, row []string, col string) permDocCell {
	t.Helper()
	c, err := permParseCell(row[tb.col(col)])
	if err != nil {
		t.Fatalf("%s table, row %q, column %q: %v", what, row[0], col, err)
	}
	return c
}

func TestPermissionMatrix(t *testing.T) {
	doc := permParseTables(t, permDocPath)
	cells := 0

	actionNames := make([]string, len(permActions))
	byName := map[string]permAction{}
	for i, a := range permActions {
		actionNames[i] = a.name
		byName[a.name] = a
	}
	colNames := func(cs []permColumn) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.name)
		}
		return out
	}

	// Action × actor, and the same actions on a dissolved group.
	for _, tab := range []struct {
		head      string
		cols      []permColumn
		dissolved bool
	}{{"Action", permColumns, false}, {"Action (dissolved group)", dissolvedColumns, true}} {
		tb := doc[tab.head]
		permCheckShape(t, tab.head, tb, []string{tab.head, "Op"}, 1, colNames(tab.cols), actionNames)
		for _, row := range tb.rows {
			act := byName[row[0]]
			if op := strings.Trim(row[1], "`"); op != act.op.String() {
				t.Errorf("%s table, row %q: doc says op %s, the test sends %s", tab.head, row[0], op, act.op)
			}
			member := permCellAt(t, tab.head, tb, row, "member")
			if member.kind != permCellCode {
				t.Fatalf("%s table, row %q: the member permDocCell must be ✓ or a code", tab.head, row[0])
			}
			for _, col := range tab.cols {
				c := permCellAt(t, tab.head, tb, row, col.name)
				switch {
				case c.kind == permCellSame && col.name != "member":
					c = member
				case c.kind != permCellCode:
					t.Fatalf("%s table, row %q, column %q: %q not allowed here", tab.head, row[0], col.name, c.text)
				}
				f := newPermFixture(t)
				if act.prep != nil {
					act.prep(f)
				}
				if col.prep != nil {
					col.prep(f)
				}
				if tab.dissolved {
					f.must("owner", wire.OpDissolve, wire.GroupArgs{Group: "g1"})
				}
				f.run(fmt.Sprintf("%s / %s / %s", tab.head, row[0], col.name), col.actor, act.op, act.args(f, col.actor), c.code)
				cells++
			}
		}
	}

	// Actor × target.
	tt := doc["Target action"]
	var targetCols []string
	for _, c := range permTargets {
		targetCols = append(targetCols, c.name)
	}
	var targetRows []string
	for _, a := range permTargetActions {
		for _, actor := range []string{"owner", "admin", "member"} {
			targetRows = append(targetRows, a.name+" / "+actor)
		}
	}
	permCheckShape(t, "Actor × target", tt, []string{"Target action", "Actor"}, 2, targetCols, targetRows)
	targetActs := map[string]permTargetAction{}
	for _, a := range permTargetActions {
		targetActs[a.name] = a
	}
	for _, row := range tt.rows {
		act, actor := targetActs[row[0]], permTargetActors[row[1]]
		self := permCellAt(t, "target", tt, row, "self")
		for _, col := range permTargets {
			c := permCellAt(t, "target", tt, row, col.name)
			target := col.user
			if target == "" {
				target = actor
			}
			switch c.kind {
			case permCellNA:
				if col.name == "self" || target != actor {
					t.Fatalf("target table, %s by %s on %s: — is only for a target that is the actor", row[0], row[1], col.name)
				}
				c = self // the same request as the self column
			case permCellSame:
				t.Fatalf("target table, %s by %s on %s: = not allowed here", row[0], row[1], col.name)
			}
			f := newPermFixture(t)
			if act.mutedFirst && f.m.IsMember(target) && target != "owner" {
				if e := f.muteFor(target, day); e.Err != nil {
					t.Fatalf("mute %s first: %v", target, e.Err)
				}
			}
			f.run(fmt.Sprintf("target / %s / %s / %s", row[0], row[1], col.name), actor, act.op,
				wire.TargetArgs{Group: "g1", User: target, Role: act.role, Duration: act.dur}, c.code)
			cells++
		}
	}

	// Speaking.
	st := doc["Sender"]
	var speakCols []string
	for _, s := range permSpeaking {
		speakCols = append(speakCols, s.name)
	}
	permCheckShape(t, "Speaking", st, []string{"Sender"}, 1, speakCols, []string{"owner", "admin", "member"})
	for _, row := range st.rows {
		sender := permSenders[row[0]]
		for _, s := range permSpeaking {
			c := permCellAt(t, "Speaking", st, row, s.name)
			f := newPermFixture(t)
			where := fmt.Sprintf("Speaking / %s / %s", row[0], s.name)
			if s.mute > 0 {
				e := f.muteFor(sender, s.mute)
				switch {
				case c.kind == permCellNA:
					// The cell cannot be set up: the mute must be refused
					// (forbidden by rank, or bad_request when aimed at oneself).
					if e.Err == nil || (e.Err.Code != wire.CodeForbidden && e.Err.Code != wire.CodeBadRequest) {
						t.Errorf("%s: doc says the sender cannot be muted, but the mute gave %v", where, e.Err)
					}
					cells++
					continue
				case e.Err != nil:
					t.Fatalf("%s: mute: %v", where, e.Err)
				}
			}
			if c.kind != permCellCode {
				t.Fatalf("%s: %q not allowed here", where, c.text)
			}
			if s.muteAll {
				f.must("owner", wire.OpMuteAll, wire.MuteAllArgs{Group: "g1", On: true})
			}
			f.run(where, sender, wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("hi")}, c.code)
			cells++
		}
	}
	t.Logf("docs/permissions.md: %d cells exercised", cells)
}

// TestPermissionRoleChange: a role change, mute or unmute holds from the
// affected user's very next request (no permission is cached).
func TestPermissionRoleChange(t *testing.T) {
	f := newPermFixture(t)
	step := func(user string, op wire.Op, a any, want wire.Code) {
		t.Helper()
		f.now++
		f.run(fmt.Sprintf("%s %s", user, op), user, op, a, want)
		f.m.MarkDurable(f.m.LastSeq())
	}
	mute := func(d int64) wire.TargetArgs { return wire.TargetArgs{Group: "g1", User: "m2", Duration: d} }
	setRole := func(u string, r wire.Role) wire.TargetArgs { return wire.TargetArgs{Group: "g1", User: u, Role: r} }
	say := wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("hi")}

	step("admin", wire.OpMute, mute(60_000), 0)
	step("owner", wire.OpSetRole, setRole("admin", wire.RoleMember), 0)
	step("admin", wire.OpMute, mute(0), wire.CodeForbidden)
	step("admin", wire.OpKick, wire.TargetArgs{Group: "g1", User: "m2"}, wire.CodeForbidden)
	step("owner", wire.OpSetRole, setRole("admin", wire.RoleAdmin), 0)
	step("admin", wire.OpMute, mute(0), 0)

	step("m2", wire.OpSend, say, 0)
	step("admin", wire.OpMute, mute(60_000), 0)
	step("m2", wire.OpSend, say, wire.CodeMuted)
	step("admin", wire.OpMute, mute(0), 0)
	step("m2", wire.OpSend, say, 0)

	// A member promoted to admin speaks under mute-all from the next request.
	step("owner", wire.OpMuteAll, wire.MuteAllArgs{Group: "g1", On: true}, 0)
	step("m1", wire.OpSend, say, wire.CodeMuted)
	step("owner", wire.OpSetRole, setRole("m1", wire.RoleAdmin), 0)
	step("m1", wire.OpSend, say, 0)

	// Kicked: the next request is refused; banned likewise, with its own code.
	step("admin", wire.OpKick, wire.TargetArgs{Group: "g1", User: "m2"}, 0)
	step("m2", wire.OpSend, say, wire.CodeNotMember)
	step("owner", wire.OpBan, wire.TargetArgs{Group: "g1", User: "m1"}, 0)
	step("m1", wire.OpHistory, wire.HistoryArgs{Group: "g1"}, wire.CodeBanned)

	// Ownership moves at once: the old owner is a member from the next request.
	step("owner", wire.OpTransferOwner, wire.TargetArgs{Group: "g1", User: "admin2"}, 0)
	step("owner", wire.OpDissolve, wire.GroupArgs{Group: "g1"}, wire.CodeForbidden)
	step("admin2", wire.OpSetRole, setRole("owner", wire.RoleAdmin), 0)

	var sorted []string
	for u, m := range f.m.st.Members {
		sorted = append(sorted, u+"="+m.Role.String())
	}
	sort.Strings(sorted)
	if got := strings.Join(sorted, " "); got != "admin2=owner admin=admin muted=member owner=admin" {
		t.Fatalf("members at the end: %s", got)
	}
}
