package actors_test

import (
	"strconv"
	"testing"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// benchGroupMachine returns a created group with members joined and durable.
func benchGroupMachine(b *testing.B, members int) *actors.GroupMachine {
	b.Helper()
	cfg := actors.DefaultGroupConfig()
	cfg.MaxMembers = members + 1
	m := actors.NewGroupMachine("gbench", cfg)
	create, _ := wire.Marshal(wire.CreateGroupArgs{Name: "bench"})
	if e := m.Handle(actors.Command{Now: 1, User: "owner", Op: wire.OpCreateGroup, Args: create}); e.Err != nil {
		b.Fatal(e.Err)
	}
	join, _ := wire.Marshal(wire.JoinArgs{Group: "gbench"})
	for i := 0; i < members; i++ {
		if e := m.Handle(actors.Command{Now: 1, User: "u" + strconv.Itoa(i), Op: wire.OpJoin, Args: join}); e.Err != nil {
			b.Fatal(e.Err)
		}
	}
	m.MarkDurable(m.LastSeq())
	return m
}

// BenchmarkGroupMachineSend is the group state machine's work for one send
// (decode arguments, checks, dedup, seq, reply encoding), without I/O.
//
//	no-cmid:        a send without a client message id
//	cmid:           fresh client message ids from the start (the dedup
//	                window fills as b.N grows)
//	cmid-dedup-full: the dedup window already holds DedupMax entries, as in
//	                any group that took DedupMax sends in the last 5 minutes
func BenchmarkGroupMachineSend(b *testing.B) {
	payload := string(make([]byte, 100))
	argsFor := func(cmid string) []byte {
		a, _ := wire.Marshal(wire.SendArgs{Group: "gbench", CMID: cmid, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: payload}}})
		return a
	}
	run := func(b *testing.B, m *actors.GroupMachine, cmids bool, start int) {
		noCMID := argsFor("")
		b.ReportAllocs()
		i := start
		for b.Loop() {
			a := noCMID
			if cmids {
				a = argsFor("c" + strconv.Itoa(i))
			}
			i++
			e := m.Handle(actors.Command{Now: 2, User: "u1", Op: wire.OpSend, Args: a})
			if e.Err != nil {
				b.Fatal(e.Err)
			}
			m.MarkDurable(m.LastSeq())
		}
	}
	b.Run("no-cmid", func(b *testing.B) { run(b, benchGroupMachine(b, 100), false, 0) })
	b.Run("cmid", func(b *testing.B) { run(b, benchGroupMachine(b, 100), true, 0) })
	b.Run("cmid-dedup-full", func(b *testing.B) {
		m := benchGroupMachine(b, 100)
		n := actors.DefaultGroupConfig().DedupMax
		for i := 0; i < n; i++ {
			m.Handle(actors.Command{Now: 2, User: "u1", Op: wire.OpSend, Args: argsFor("w" + strconv.Itoa(i))})
		}
		m.MarkDurable(m.LastSeq())
		run(b, m, true, 0)
	})
}
