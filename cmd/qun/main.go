// Command qun is Qun's command-line client.
//
//	qun token alice                 # prints a token (reads ./qun-data/secret)
//	export QUN_TOKEN=$(qun token alice)
//	qun create "weekend hikes"      # prints the new group id
//	qun join GROUP                  # or: qun join --code CODE
//	qun send GROUP hello everyone   # prints the seq once the message is durable
//	qun history GROUP --limit 20
//	qun groups
//	qun chat GROUP                  # live: prints messages and notices, sends each line typed
//	qun update GROUP --policy approval --searchable=true --category outdoors
//	qun code GROUP --ttl 24h --uses 10   # prints an invite code
//	qun mute GROUP bob 10m
//	qun search 徒步
//
// Global flags (before or after the subcommand): --server ADDR (QUN_SERVER,
// default 127.0.0.1:7400) and --token T (QUN_TOKEN). Errors print one line
// and exit non-zero. Run qun help for every command.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/qunchat/qun/client"
)

// The commands are rows of a table (command.go), filed by family: token.go
// (auth), joining.go, content.go, moderation.go, discovery.go, chat.go (the
// live session). flags.go parses the command line; format.go prints.

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qun:", describe(err))
	}
	os.Exit(code)
}

// run runs one command line and returns the exit status: 2 for a mistake
// in the command line, 1 for any other error.
func run(args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	g := &globals{server: env("QUN_SERVER", "127.0.0.1:7400"), token: os.Getenv("QUN_TOKEN")}
	top := newFlags("qun", g)
	if err := top.Parse(args); err != nil {
		return 2, fmt.Errorf("%v (qun help lists the commands and flags)", err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		fmt.Fprint(os.Stderr, usageText())
		return 2, nil
	}
	name, rest := rest[0], rest[1:]
	fs := newFlags(name, g)
	o := newOpts(fs)
	pos, err := parse(fs, rest)
	if err != nil {
		return 2, fmt.Errorf("%s: %v", name, err)
	}
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usageText())
		return 0, nil
	}
	spec, ok := lookup(name)
	if !ok {
		return 2, fmt.Errorf("unknown command %q (qun help lists them)", name)
	}
	if len(pos) < spec.min || (spec.max >= 0 && len(pos) > spec.max) {
		return 2, fmt.Errorf("usage: qun %s", strings.TrimSpace(name+" "+spec.args))
	}
	if spec.conn != needNothing && g.token == "" {
		return 2, errors.New("no token: pass --token or set QUN_TOKEN (qun token USER prints one)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	x := &cli{g: g, ctx: ctx, o: o, pos: pos, in: stdin, out: stdout}
	if spec.check != nil {
		if err := spec.check(x); err != nil {
			return 2, err
		}
	}
	if spec.conn == needClient {
		c, err := client.Dial(ctx, g.server, client.Options{Token: g.token, Name: cliName})
		if err != nil {
			return 1, err
		}
		defer c.Close()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		x.c, x.ctx = c, rctx
	}
	if err := spec.run(x); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return 2, err
		}
		return 1, err
	}
	return 0, nil
}

// cliName is how the CLI introduces itself to the server.
const cliName = "qun-cli/1"
