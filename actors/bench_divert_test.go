package actors_test

import (
	"testing"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// BenchmarkSendDivert is the group machine's send with the diversion rule
// under each policy, for a clean chat line and a seller's line with a
// WeChat id: the rule's cost per message on the send path is the
// difference from policy=allow.
//
//	go test -run XXX -bench SendDivert -benchtime 20000x ./actors/
func BenchmarkSendDivert(b *testing.B) {
	lines := map[string]string{
		"clean":    "主播今天的口红色号好好看，¥88.00 的那个还有货吗？2024-11-29 晚上八点见",
		"diverted": "加我vx: abc123 便宜出，或者打 138 1234 5678",
	}
	for _, p := range []wire.DivertPolicy{wire.DivertAllow, wire.DivertFlag, wire.DivertMask, wire.DivertBlock} {
		for _, kind := range []string{"clean", "diverted"} {
			b.Run(actors.PolicyName(p)+"/"+kind, func(b *testing.B) {
				m := benchGroupMachine(b, 10)
				set, _ := wire.Marshal(wire.SetDivertArgs{Group: "gbench", Policy: p})
				if e := m.Handle(actors.Command{Now: 2, User: "owner", Op: wire.OpSetDivert, Args: set}); e.Err != nil {
					b.Fatal(e.Err)
				}
				a, _ := wire.Marshal(wire.SendArgs{Group: "gbench", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: lines[kind]}}})
				b.ReportAllocs()
				for b.Loop() {
					e := m.Handle(actors.Command{Now: 3, User: "u1", Op: wire.OpSend, Args: a})
					if (e.Err != nil) != (p == wire.DivertBlock && kind == "diverted") {
						b.Fatal(e.Err)
					}
					m.MarkDurable(m.LastSeq())
				}
			})
		}
	}
}
