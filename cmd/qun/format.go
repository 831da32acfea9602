package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/wire"
)

// How the CLI prints errors, messages, notices and groups.

// describe turns an error into one clear line.
func describe(err error) string {
	var we *wire.Error
	if errors.As(err, &we) {
		return oneLine(fmt.Sprintf("%s (code %d %s)", we.Msg, uint16(we.Code), we.Code))
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return oneLine("server did not answer in time: " + err.Error())
	}
	if strings.Contains(err.Error(), "connection refused") {
		return oneLine("cannot reach the server (is qund running?): " + err.Error())
	}
	return err.Error()
}

// oneLine folds a server's text onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// printCards prints one group a line: ID "NAME" members=N join=POLICY
// owner=U [category=C] [city=C] [distance].
func printCards(x *cli, cards []wire.GroupCard) {
	for _, c := range cards {
		line := fmt.Sprintf("%s %q members=%d join=%s owner=%s", c.Group, c.Name, c.Members, policyName(c.Join), c.Owner)
		if c.Category != "" {
			line += " category=" + c.Category
		}
		if c.City != "" {
			line += " city=" + c.City
		}
		if c.DistanceKm > 0 {
			line += fmt.Sprintf(" %.1fkm", c.DistanceKm)
		}
		x.printf("%s\n", line)
	}
}

func policyName(p wire.JoinPolicy) string {
	switch p {
	case wire.JoinOpen:
		return "open"
	case wire.JoinApproval:
		return "approval"
	case wire.JoinInvite:
		return "invite"
	}
	return fmt.Sprintf("policy_%d", p)
}

func joinSeqs(seqs []uint64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = strconv.FormatUint(s, 10)
	}
	return strings.Join(parts, " ")
}

// fmtTime prints a server time (unix ms) in local time, without spaces.
func fmtTime(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02T15:04:05")
}

// formatMsg prints SEQ SENDER TEXT; a system event as SEQ ACTOR * EVENT
// [TARGET] [TEXT] [until TIME].
func formatMsg(m wire.Message) string {
	switch {
	case m.Body.Text != nil:
		return fmt.Sprintf("%d %s %s", m.Seq, m.Sender, m.Line())
	case m.Body.System != nil:
		s := m.Body.System
		text := "* " + s.Event
		if s.Target != "" && s.Target != s.Actor {
			text += " " + s.Target
		}
		if s.Text != "" {
			text += " " + oneLine(s.Text)
		}
		if s.Until != 0 {
			text += " until " + fmtTime(s.Until)
		}
		who := s.Actor
		if who == "" {
			who = "-"
		}
		return fmt.Sprintf("%d %s %s", m.Seq, who, text)
	}
	return fmt.Sprintf("%d %s %s", m.Seq, m.Sender, oneLine(m.Line()))
}

// formatNotice renders a notice on one line; group is the chat's group.
func formatNotice(n *wire.Notice, group string) string {
	in := ""
	if n.Group != group {
		in = " to " + n.Group
	}
	switch n.Kind {
	case wire.EventJoinRequest:
		s := "* join request from " + n.User + in
		if n.Text != "" {
			s += ": " + oneLine(n.Text)
		}
		return s + fmt.Sprintf(" (qun approve|reject %s %s)", n.Group, n.User)
	case "approved", "rejected":
		return fmt.Sprintf("* your request to join %s was %s by %s", n.Group, n.Kind, n.By)
	}
	return strings.Join(strings.Fields(fmt.Sprintf("* notice %s %s %s %s %s", n.Kind, n.Group, n.User, n.By, oneLine(n.Text))), " ")
}
