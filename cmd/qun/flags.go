package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/wire"
)

// The command line: global flags, the subcommands' flags, and parsers of
// arguments.

type globals struct {
	server, token string
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// newFlags makes a flag set that also accepts the global flags, so they may
// stand before or after the subcommand.
func newFlags(name string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.server, "server", g.server, "server address")
	fs.StringVar(&g.token, "token", g.token, "token")
	return fs
}

// parse parses flags placed anywhere among the arguments. A negative
// number (a latitude, say) is an argument, not a flag; "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			pos = append(pos, a)
			i++
			continue
		}
		n := 1 // the flag, and its value if it takes one and has no "="
		if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") {
			if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
				n = 2
			}
		}
		if err := fs.Parse(args[i : i+n]); err != nil {
			return nil, err
		}
		i += n
	}
	return pos, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// opts are the subcommands' flags.
type opts struct {
	fs                        *flag.FlagSet
	data, secret              string
	ttl                       time.Duration
	after, before             uint64
	limit, uses               int
	code, name, avatar, desc  string
	category, city, policy    string
	lat, lng, radius          float64
	searchable, membersInvite bool
	com                       *commerceOpts // commerce.go
	fan                       *fanOpts      // fans.go
	cl                        *clusterOpts  // cluster.go
}

func newOpts(fs *flag.FlagSet) *opts {
	o := &opts{fs: fs}
	fs.StringVar(&o.data, "data", env("QUN_DATA", "qun-data"), "data directory holding the secret")
	fs.StringVar(&o.secret, "secret", os.Getenv("QUN_SECRET"), "token secret (instead of --data)")
	fs.DurationVar(&o.ttl, "ttl", 30*24*time.Hour, "token lifetime; invite code lifetime (code)")
	fs.Uint64Var(&o.after, "after", 0, "messages after this seq")
	fs.Uint64Var(&o.before, "before", 0, "messages before this seq")
	fs.IntVar(&o.limit, "limit", 50, "page size; results (search, nearby)")
	fs.IntVar(&o.uses, "uses", 0, "joins an invite code allows (0 = unlimited)")
	fs.StringVar(&o.code, "code", "", "invite code (join)")
	fs.StringVar(&o.name, "name", "", "group name (update)")
	fs.StringVar(&o.avatar, "avatar", "", "avatar URL (update)")
	fs.StringVar(&o.desc, "desc", "", "description (update)")
	fs.StringVar(&o.category, "category", "", "category (update, search)")
	fs.StringVar(&o.city, "city", "", "city (update, with --lat and --lng)")
	fs.StringVar(&o.policy, "policy", "", "join policy: open, approval or invite (update)")
	fs.Float64Var(&o.lat, "lat", 0, "latitude (update)")
	fs.Float64Var(&o.lng, "lng", 0, "longitude (update)")
	fs.Float64Var(&o.radius, "radius", 10, "radius in km (nearby)")
	fs.BoolVar(&o.searchable, "searchable", false, "listed by search and nearby (update)")
	fs.BoolVar(&o.membersInvite, "members-invite", false, "members may invite (update)")
	o.com = newCommerceOpts(fs)
	o.fan = newFanOpts(fs)
	o.cl = newClusterOpts(fs)
	return o
}

// set reports whether the flag was given.
func (o *opts) set(name string) bool {
	found := false
	o.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func parsePolicy(s string) (wire.JoinPolicy, error) {
	switch strings.ToLower(s) {
	case "open", "0":
		return wire.JoinOpen, nil
	case "approval", "approve", "1":
		return wire.JoinApproval, nil
	case "invite", "invite-only", "2":
		return wire.JoinInvite, nil
	}
	return 0, usagef("bad --policy %q: use open, approval or invite", s)
}

func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, usagef("expected on or off, not %q", s)
}

func parseSeq(s string) (uint64, error) {
	seq, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, usagef("bad seq %q", s)
	}
	return seq, nil
}
