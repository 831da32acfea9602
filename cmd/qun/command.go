package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/qunchat/qun/client"
)

// command is one row of the CLI: a subcommand, its arguments (min, max
// positional ones; max -1 = any), a line of help, and what it does. Most
// rows are "call, print": call (or act) joins one client call to one
// printer. The rows live with their family (joining.go, content.go,
// moderation.go, discovery.go, chat.go, token.go); table puts them in help
// order. Adding a command is adding a row.
type command struct {
	name     string
	args     string
	min, max int
	help     string
	run      func(*cli) error
	conn     connKind
	// check, if set, refuses a bad command line before connecting (a
	// usage error, exit status 2).
	check func(*cli) error
}

// connKind says what a command needs before it runs.
type connKind int

const (
	needClient  connKind = iota // a token and a connection, with a 30 s deadline
	needToken                   // a token; the command connects itself (chat)
	needNothing                 // runs locally (token)
)

// section is a heading of the help and its rows.
type section struct {
	title string
	rows  []command
}

// table is every command, in help order.
func table() []section {
	return []section{
		{"messages", concat(authCommands, joinCommands, messageCommands, chatCommands)},
		{"joining", requestCommands},
		{"running a group (owner, admins)", concat(moderationCommands, groupContentCommands)},
		{"my lists and discovery", discoveryCommands},
		{"commerce (amounts in cents)", commerceCommands},
		{"fan groups and creator tools", fanCommands},
		{"live rooms", roomCommands},
		{"operations (qund's admin listener)", clusterCommands},
	}
}

func concat(lists ...[]command) []command {
	var out []command
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// lookup finds a command by name.
func lookup(name string) (command, bool) {
	for _, s := range table() {
		for _, c := range s.rows {
			if c.name == name {
				return c, true
			}
		}
	}
	return command{}, false
}

// usageText is the help, made from the table.
func usageText() string {
	var b strings.Builder
	b.WriteString("usage: qun [--server ADDR] [--token T] COMMAND [ARGS]\n")
	for _, s := range table() {
		fmt.Fprintf(&b, "\n%s:\n", s.title)
		for _, c := range s.rows {
			line := strings.TrimSpace(c.name + " " + c.args)
			if len(line) > 35 {
				fmt.Fprintf(&b, "  %s\n  %-35s %s\n", line, "", c.help)
				continue
			}
			fmt.Fprintf(&b, "  %-35s %s\n", line, c.help)
		}
	}
	b.WriteString("\nenvironment: QUN_SERVER, QUN_TOKEN, QUN_DATA, QUN_SECRET, QUN_ADMIN, QUN_ADMIN_TOKEN\n")
	return b.String()
}

// cli is what a command works with.
type cli struct {
	g   *globals
	c   *client.Client // with needClient
	ctx context.Context
	o   *opts
	pos []string
	in  io.Reader
	out io.Writer
}

func (x *cli) printf(format string, a ...any) { fmt.Fprintf(x.out, format, a...) }

// rest is the arguments from the i-th (0-based) on, joined by spaces.
func (x *cli) rest(i int) string { return strings.Join(x.pos[i:], " ") }

// say prints format with {1}, {2}… replaced by the arguments, {rest} by
// the arguments after the first, and {seq} by seq.
func (x *cli) say(format string, seq uint64) {
	pairs := []string{"{rest}", x.rest(min(1, len(x.pos))), "{seq}", strconv.FormatUint(seq, 10)}
	for i, p := range x.pos {
		pairs = append(pairs, "{"+strconv.Itoa(i+1)+"}", p)
	}
	x.printf("%s\n", strings.NewReplacer(pairs...).Replace(format))
}

// call is a command that makes one client call and prints its result.
func call[R any](do func(x *cli) (R, error), show func(x *cli, r R)) func(*cli) error {
	return func(x *cli) error {
		r, err := do(x)
		if err != nil {
			return err
		}
		show(x, r)
		return nil
	}
}

// seq is a command whose call returns the seq of the event it wrote; it
// prints format (see say).
func seq(do func(x *cli) (uint64, error), format string) func(*cli) error {
	return call(do, func(x *cli, s uint64) { x.say(format, s) })
}

// act is a command whose call returns only an error; it prints format.
func act(do func(x *cli) error, format string) func(*cli) error {
	return call(func(x *cli) (struct{}, error) { return struct{}{}, do(x) }, func(x *cli, _ struct{}) {
		if format != "" {
			x.say(format, 0)
		}
	})
}

// onOff is a command whose last argument is on or off; it prints ifOn or
// ifOff.
func onOff(do func(x *cli, on bool) (uint64, error), ifOn, ifOff string) func(*cli) error {
	return func(x *cli) error {
		on, err := parseOnOff(x.pos[len(x.pos)-1])
		if err != nil {
			return err
		}
		s, err := do(x, on)
		if err != nil {
			return err
		}
		x.say(map[bool]string{true: ifOn, false: ifOff}[on], s)
		return nil
	}
}

// noSeq adapts a call without a result to onOff.
func noSeq(err error) (uint64, error) { return 0, err }
