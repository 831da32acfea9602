package actors

import (
	"bytes"
	"testing"

	"github.com/qunchat/qun/wire"
)

// TestEncodedMatchesWire checks that splicing encoded messages gives the
// bytes that encoding the decoded wire types gives: journal entries, history
// pages and push frames.
func TestEncodedMatchesWire(t *testing.T) {
	m := machine(t, "bob")
	send(t, m, 2000, "bob", "c1", "héllo")
	e := m.Handle(Command{Now: 2001, User: "owner", Op: wire.OpMute, Args: args(t, wire.TargetArgs{Group: "g1", User: "bob", Duration: 60_000})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	recs := []record{
		{Msg: wire.Message{Seq: 7, Time: 1 << 40, Sender: "bob", CMID: "c1", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "hi", Mentions: []string{"a"}}}}},
		e.Records[0],
		{Msg: sysMsg(wire.EventCreated, "owner", "", "g"), Change: &change{Name: "g", MaxMembers: 200, Facts: UserFacts{Gender: GenderFemale, BirthYear: 1990}}},
	}
	var raws []RawMessage
	var msgs []wire.Message
	for i := range recs {
		msg, entry, err := encodeRecord(&recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if want := mustMarshal(&recs[i]); !bytes.Equal(entry, want) {
			t.Fatalf("record %d: journal entry %x, want %x", i, entry, want)
		}
		var jm journalMessage
		if err := wire.Decode(entry, &jm); err != nil || !bytes.Equal(jm.Msg, msg) {
			t.Fatalf("record %d: message read back %x (%v), want %x", i, jm.Msg, err, msg)
		}
		if seq, err := MessageSeq(msg); err != nil || seq != recs[i].Msg.Seq {
			t.Fatalf("record %d: MessageSeq %d (%v), want %d", i, seq, err, recs[i].Msg.Seq)
		}
		raws, msgs = append(raws, msg), append(msgs, recs[i].Msg)
	}
	page := mustMarshal(&HistoryPage{Msgs: raws, More: true, LastSeq: 9})
	if want := mustMarshal(&wire.HistoryResult{Msgs: msgs, More: true, LastSeq: 9}); !bytes.Equal(page, want) {
		t.Fatalf("history page %x, want %x", page, want)
	}
	empty := mustMarshal(&HistoryPage{Msgs: []RawMessage{}})
	if want := mustMarshal(&wire.HistoryResult{Msgs: []wire.Message{}}); !bytes.Equal(empty, want) {
		t.Fatalf("empty page %x, want %x", empty, want)
	}
	frame, err := PushFrame("g1", raws)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wire.EncodeFrame(wire.FramePush, &wire.Push{Group: "g1", Msgs: msgs})
	if err != nil || !bytes.Equal(frame, want) {
		t.Fatalf("push frame %x (%v), want %x", frame, err, want)
	}
}
