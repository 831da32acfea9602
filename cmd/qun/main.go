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
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

const usage = `usage: qun [--server ADDR] [--token T] COMMAND [ARGS]

messages:
  token USER [--data DIR] [--ttl D]   print a token for USER, signed with DIR/secret
  create NAME                         create a group; prints its id
  join GROUP | join --code CODE       join an open group, or any group with an invite code
  leave GROUP                         leave a group
  send GROUP TEXT...                  send a message; prints its seq once durable
  history GROUP [--after SEQ] [--before SEQ] [--limit N]
                                      print messages, one per line: SEQ SENDER TEXT
  members GROUP                       list members: USER ROLE
  info GROUP                          describe a group: profile, rules, announcement, pins, your role
  groups                              my groups with unread counts, pinned first
  read GROUP SEQ                      mark messages up to SEQ read
  chat GROUP                          interactive: print messages and notices as they come, send lines typed

joining:
  apply GROUP [NOTE...]               ask to join an approval group (joins an open one at once)
  requests GROUP                      pending join requests (owner, admins)
  approve GROUP USER                  approve a join request
  reject GROUP USER                   reject a join request
  invite GROUP USER...                add mutual-follow friends to the group
  code GROUP [--ttl D] [--uses N]     make an invite code; prints the code alone
  codes GROUP                         live invite codes
  revoke GROUP CODE                   revoke an invite code

running a group (owner, admins):
  update GROUP [--name N] [--avatar URL] [--desc D] [--category C]
         [--lat F --lng F [--city C]] [--searchable=true|false]
         [--policy open|approval|invite] [--members-invite=true|false]
                                      change the group's profile and rules
  admin GROUP USER / unadmin GROUP USER
                                      appoint or remove an admin (owner)
  kick GROUP USER                     remove a member
  ban GROUP USER / unban GROUP USER   ban a user (removes them) or lift the ban
  mute GROUP USER DURATION            mute a member, e.g. 10m, 2h; 0 unmutes
  muteall GROUP on|off                only the owner and admins may post, or everyone again
  transfer GROUP USER                 make USER the owner (owner)
  dissolve GROUP                      close the group for good (owner)
  announce GROUP TEXT...              publish the group's announcement
  ack GROUP                           acknowledge the announcement
  announcement GROUP                  show the announcement (and, for admins, who has not acknowledged it)
  pin GROUP SEQ / unpin GROUP SEQ     pin or unpin a message
  stats GROUP                         members, female members, active in 7 days, average age, messages

my lists and discovery:
  top GROUP on|off                    pin a group to the top of my list
  show GROUP on|off                   show a group on my profile
  profile USER                        the groups USER shows on their profile
  search [--category C] [--limit N] [QUERY...]
                                      find searchable groups by name and/or category
  nearby LAT LNG [--radius KM] [--limit N]
                                      find searchable groups near a point, nearest first

environment: QUN_SERVER, QUN_TOKEN, QUN_DATA, QUN_SECRET
`

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qun:", describe(err))
	}
	os.Exit(code)
}

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
	return o
}

// set reports whether the flag was given.
func (o *opts) set(name string) bool {
	found := false
	o.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func run(args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	g := &globals{server: env("QUN_SERVER", "127.0.0.1:7400"), token: os.Getenv("QUN_TOKEN")}
	top := newFlags("qun", g)
	if err := top.Parse(args); err != nil {
		return 2, fmt.Errorf("%v (qun help lists the commands and flags)", err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2, nil
	}
	cmd, rest := rest[0], rest[1:]
	fs := newFlags(cmd, g)
	o := newOpts(fs)
	pos, err := parse(fs, rest)
	if err != nil {
		return 2, fmt.Errorf("%s: %v", cmd, err)
	}
	if cmd == "token" {
		if len(pos) < 1 {
			return 2, errors.New("usage: qun token USER")
		}
		key := []byte(o.secret)
		if len(key) == 0 {
			b, err := os.ReadFile(o.data + "/" + engine.SecretFile)
			if err != nil {
				return 1, fmt.Errorf("no secret: %v (start qund once, or pass --data DIR / --secret)", err)
			}
			key = []byte(strings.TrimSpace(string(b)))
		}
		tok, err := engine.MintToken(key, pos[0], o.ttl)
		if err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, tok)
		return 0, nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return 0, nil
	}
	spec, ok := commands[cmd]
	if !ok {
		return 2, fmt.Errorf("unknown command %q (qun help lists them)", cmd)
	}
	if len(pos) < spec.min || (spec.max >= 0 && len(pos) > spec.max) {
		return 2, fmt.Errorf("usage: qun %s", strings.TrimSpace(cmd+" "+spec.args))
	}
	if g.token == "" {
		return 2, errors.New("no token: pass --token or set QUN_TOKEN (qun token USER prints one)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "chat" {
		return chat(ctx, g, pos[0], stdin, stdout)
	}
	c, err := client.Dial(ctx, g.server, client.Options{Token: g.token, Name: "qun-cli/1"})
	if err != nil {
		return 1, err
	}
	defer c.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	x := &cli{c: c, ctx: rctx, o: o, pos: pos, out: stdout}
	if err := spec.run(x); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return 2, err
		}
		return 1, err
	}
	return 0, nil
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// cli is what a subcommand works with.
type cli struct {
	c   *client.Client
	ctx context.Context
	o   *opts
	pos []string
	out io.Writer
}

func (x *cli) printf(format string, a ...any) { fmt.Fprintf(x.out, format, a...) }

// command describes a subcommand: its arguments (min, max; max -1 = any)
// and what it does.
type command struct {
	args     string
	min, max int
	run      func(*cli) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"chat":    {"GROUP", 1, 1, nil},
		"create":  {"NAME", 1, -1, cmdCreate},
		"join":    {"GROUP | join --code CODE", 0, 1, cmdJoin},
		"leave":   {"GROUP", 1, 1, cmdLeave},
		"send":    {"GROUP TEXT...", 2, -1, cmdSend},
		"history": {"GROUP [--after SEQ] [--before SEQ] [--limit N]", 1, 1, cmdHistory},
		"members": {"GROUP", 1, 1, cmdMembers},
		"info":    {"GROUP", 1, 1, cmdInfo},
		"groups":  {"", 0, 0, cmdGroups},
		"read":    {"GROUP SEQ", 2, 2, cmdRead},

		"apply":    {"GROUP [NOTE...]", 1, -1, cmdApply},
		"requests": {"GROUP", 1, 1, cmdRequests},
		"approve":  {"GROUP USER", 2, 2, func(x *cli) error { return cmdReview(x, true) }},
		"reject":   {"GROUP USER", 2, 2, func(x *cli) error { return cmdReview(x, false) }},
		"invite":   {"GROUP USER...", 2, -1, cmdInvite},
		"code":     {"GROUP [--ttl D] [--uses N]", 1, 1, cmdCode},
		"codes":    {"GROUP", 1, 1, cmdCodes},
		"revoke":   {"GROUP CODE", 2, 2, cmdRevoke},

		"update":       {"GROUP [--name N] [--avatar URL] [--desc D] [--category C] [--lat F --lng F [--city C]] [--searchable=true|false] [--policy open|approval|invite] [--members-invite=true|false]", 1, 1, cmdUpdate},
		"admin":        {"GROUP USER", 2, 2, func(x *cli) error { return cmdRole(x, wire.RoleAdmin) }},
		"unadmin":      {"GROUP USER", 2, 2, func(x *cli) error { return cmdRole(x, wire.RoleMember) }},
		"kick":         {"GROUP USER", 2, 2, cmdKick},
		"ban":          {"GROUP USER", 2, 2, cmdBan},
		"unban":        {"GROUP USER", 2, 2, cmdUnban},
		"mute":         {"GROUP USER DURATION (e.g. 10m, 2h; 0 unmutes)", 3, 3, cmdMute},
		"muteall":      {"GROUP on|off", 2, 2, cmdMuteAll},
		"transfer":     {"GROUP USER", 2, 2, cmdTransfer},
		"dissolve":     {"GROUP", 1, 1, cmdDissolve},
		"announce":     {"GROUP TEXT...", 2, -1, cmdAnnounce},
		"ack":          {"GROUP", 1, 1, cmdAck},
		"announcement": {"GROUP", 1, 1, cmdAnnouncement},
		"pin":          {"GROUP SEQ", 2, 2, func(x *cli) error { return cmdPin(x, false) }},
		"unpin":        {"GROUP SEQ", 2, 2, func(x *cli) error { return cmdPin(x, true) }},
		"stats":        {"GROUP", 1, 1, cmdStats},

		"top":     {"GROUP on|off", 2, 2, cmdTop},
		"show":    {"GROUP on|off", 2, 2, cmdShow},
		"profile": {"USER", 1, 1, cmdProfile},
		"search":  {"[--category C] [--limit N] [QUERY...]", 0, -1, cmdSearch},
		"nearby":  {"LAT LNG [--radius KM] [--limit N]", 2, 2, cmdNearby},
	}
}

// ---- messages ----

func cmdCreate(x *cli) error {
	id, err := x.c.CreateGroup(x.ctx, strings.Join(x.pos, " "))
	if err != nil {
		return err
	}
	x.printf("%s\n", id)
	return nil
}

func cmdJoin(x *cli) error {
	switch {
	case x.o.code != "":
		group, _ := codeGroup(x.o.code)
		var r wire.JoinResult
		args := &wire.JoinArgs{Code: x.o.code}
		if len(x.pos) == 1 { // qun join GROUP --code CODE: the code must be GROUP's
			args.Group, group = x.pos[0], x.pos[0]
		}
		if err := x.c.Call(x.ctx, wire.OpJoin, args, &r); err != nil {
			return err
		}
		x.printf("joined %s (%s) with an invite code\n", group, r.Name)
	case len(x.pos) == 1:
		r, err := x.c.Join(x.ctx, x.pos[0])
		if err != nil {
			return err
		}
		x.printf("joined %s (%s)\n", x.pos[0], r.Name)
	default:
		return usagef("usage: qun join GROUP | qun join --code CODE")
	}
	return nil
}

// codeGroup is the group an invite code names: everything before its last "-".
func codeGroup(code string) (string, bool) {
	i := strings.LastIndexByte(code, '-')
	if i <= 0 {
		return "", false
	}
	return code[:i], true
}

func cmdLeave(x *cli) error {
	if err := x.c.Leave(x.ctx, x.pos[0]); err != nil {
		return err
	}
	x.printf("left %s\n", x.pos[0])
	return nil
}

func cmdSend(x *cli) error {
	r, err := x.c.SendText(x.ctx, x.pos[0], newCMID(), strings.Join(x.pos[1:], " "))
	if err != nil {
		return err
	}
	x.printf("%d\n", r.Seq)
	return nil
}

func cmdHistory(x *cli) error {
	ha := wire.HistoryArgs{Group: x.pos[0], Before: x.o.before, Limit: x.o.limit}
	if x.o.set("after") {
		ha.After = wire.After(x.o.after)
	}
	h, err := x.c.History(x.ctx, ha)
	if err != nil {
		return err
	}
	for _, m := range h.Msgs {
		x.printf("%s\n", formatMsg(m))
	}
	return nil
}

func cmdMembers(x *cli) error {
	next := ""
	for {
		r, err := x.c.Members(x.ctx, wire.MembersArgs{Group: x.pos[0], After: next})
		if err != nil {
			return err
		}
		for _, m := range r.Members {
			x.printf("%s %s\n", m.User, m.Role)
		}
		if next = r.Next; next == "" {
			return nil
		}
	}
}

func cmdInfo(x *cli) error {
	i, err := x.c.GroupInfo(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	x.printf("group %s\nname %s\nowner %s\nmembers %d/%d\nlast_seq %d\n", i.Group, i.Name, i.Owner, i.Members, i.MaxMember, i.LastSeq)
	x.printf("policy %s\nsearchable %v\nmembers_invite %v\nmute_all %v\n", policyName(i.Join), i.Searchable, i.MembersInvite, i.MuteAll)
	if i.Description != "" {
		x.printf("description %s\n", oneLine(i.Description))
	}
	if i.Avatar != "" {
		x.printf("avatar %s\n", i.Avatar)
	}
	if i.Category != "" {
		x.printf("category %s\n", i.Category)
	}
	if l := i.Location; l != nil {
		x.printf("location %g,%g %s\n", l.Lat, l.Lng, l.City)
	}
	if len(i.Admins) > 0 {
		x.printf("admins %s\n", strings.Join(i.Admins, " "))
	}
	if len(i.Pins) > 0 {
		x.printf("pins %s\n", joinSeqs(i.Pins))
	}
	if a := i.Announcement; a != nil {
		x.printf("announcement #%d by %s at %s: %s\n", a.Seq, a.By, fmtTime(a.At), oneLine(a.Text))
	}
	if i.YourRole != nil {
		x.printf("your_role %s\n", *i.YourRole)
	} else {
		x.printf("your_role none (not a member)\n")
	}
	if i.MutedUntil > 0 {
		x.printf("muted_until %s\n", fmtTime(i.MutedUntil))
	}
	if i.Dissolved {
		x.printf("dissolved true\n")
	}
	return nil
}

func cmdGroups(x *cli) error {
	gs, err := x.c.MyGroups(x.ctx)
	if err != nil {
		return err
	}
	for _, mg := range gs {
		pin := ""
		if mg.Pinned {
			pin = " [pinned]"
		}
		x.printf("%s %s unread=%d last_seq=%d%s\n", mg.Group, mg.Name, mg.Unread, mg.LastSeq, pin)
	}
	return nil
}

func cmdRead(x *cli) error {
	seq, err := parseSeq(x.pos[1])
	if err != nil {
		return err
	}
	return x.c.MarkRead(x.ctx, x.pos[0], seq)
}

// ---- joining ----

func cmdApply(x *cli) error {
	r, err := x.c.Apply(x.ctx, x.pos[0], strings.Join(x.pos[1:], " "))
	if err != nil {
		return err
	}
	if r.Joined {
		x.printf("joined %s (seq %d)\n", x.pos[0], r.Seq)
	} else {
		x.printf("asked to join %s; the owner and admins will review it (the request expires %s)\n", x.pos[0], fmtTime(r.Expires))
	}
	return nil
}

func cmdRequests(x *cli) error {
	rs, err := x.c.ListRequests(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	for _, r := range rs {
		note := ""
		if r.Note != "" {
			note = ": " + oneLine(r.Note)
		}
		x.printf("%s applied %s%s\n", r.User, fmtTime(r.At), note)
	}
	return nil
}

func cmdReview(x *cli, approve bool) error {
	seq, err := x.c.Review(x.ctx, x.pos[0], x.pos[1], approve)
	if err != nil {
		return err
	}
	if approve {
		x.printf("approved %s: joined %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	} else {
		x.printf("rejected %s\n", x.pos[1])
	}
	return nil
}

func cmdInvite(x *cli) error {
	seq, err := x.c.Invite(x.ctx, x.pos[0], x.pos[1:]...)
	if err != nil {
		return err
	}
	x.printf("invited %s to %s (seq %d)\n", strings.Join(x.pos[1:], " "), x.pos[0], seq)
	return nil
}

func cmdCode(x *cli) error {
	var ttl time.Duration // 0: the server's default
	if x.o.set("ttl") {
		if ttl = x.o.ttl; ttl <= 0 {
			return usagef("code: --ttl must be positive")
		}
	}
	if x.o.uses < 0 {
		return usagef("code: --uses must not be negative")
	}
	inv, err := x.c.CreateInvite(x.ctx, x.pos[0], ttl, x.o.uses)
	if err != nil {
		return err
	}
	x.printf("%s\n", inv.Code)
	return nil
}

func cmdCodes(x *cli) error {
	invs, err := x.c.ListInvites(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	for _, inv := range invs {
		max := "unlimited"
		if inv.MaxUses > 0 {
			max = strconv.Itoa(inv.MaxUses)
		}
		x.printf("%s uses=%d/%s expires=%s creator=%s\n", inv.Code, inv.Uses, max, fmtTime(inv.Expires), inv.Creator)
	}
	return nil
}

func cmdRevoke(x *cli) error {
	if err := x.c.RevokeInvite(x.ctx, x.pos[0], x.pos[1]); err != nil {
		return err
	}
	x.printf("revoked %s\n", x.pos[1])
	return nil
}

// ---- running a group ----

func cmdUpdate(x *cli) error {
	o := x.o
	a := wire.UpdateGroupArgs{Group: x.pos[0]}
	str := func(flag string, v string) *string {
		if o.set(flag) {
			return &v
		}
		return nil
	}
	a.Profile.Name = str("name", o.name)
	a.Profile.Avatar = str("avatar", o.avatar)
	a.Profile.Description = str("desc", o.desc)
	a.Profile.Category = str("category", o.category)
	switch lat, lng := o.set("lat"), o.set("lng"); {
	case lat && lng:
		a.Profile.Location = &wire.GeoArgs{Lat: o.lat, Lng: o.lng, City: o.city}
	case lat || lng:
		return usagef("update: --lat and --lng go together")
	case o.set("city"):
		return usagef("update: --city needs --lat and --lng")
	}
	if o.set("searchable") {
		a.Profile.Searchable = &o.searchable
	}
	if o.set("members-invite") {
		a.MembersInvite = &o.membersInvite
	}
	if o.set("policy") {
		p, err := parsePolicy(o.policy)
		if err != nil {
			return err
		}
		a.Join = &p
	}
	seq, err := x.c.UpdateGroup(x.ctx, a)
	if err != nil {
		return err
	}
	x.printf("updated %s (seq %d)\n", x.pos[0], seq)
	return nil
}

func cmdRole(x *cli, role wire.Role) error {
	seq, err := x.c.SetRole(x.ctx, x.pos[0], x.pos[1], role)
	if err != nil {
		return err
	}
	x.printf("%s is now %s of %s (seq %d)\n", x.pos[1], article(role), x.pos[0], seq)
	return nil
}

func article(r wire.Role) string {
	if r == wire.RoleOwner {
		return "the owner"
	}
	if r == wire.RoleAdmin {
		return "an admin"
	}
	return "a member"
}

func cmdKick(x *cli) error {
	seq, err := x.c.Kick(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("kicked %s from %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	return nil
}

func cmdBan(x *cli) error {
	seq, err := x.c.Ban(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("banned %s from %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	return nil
}

func cmdUnban(x *cli) error {
	seq, err := x.c.Unban(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("lifted the ban on %s in %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	return nil
}

func cmdMute(x *cli) error {
	d, err := time.ParseDuration(x.pos[2])
	if err != nil || d < 0 {
		return usagef("mute: bad duration %q: use e.g. 30s, 10m, 2h, or 0 to unmute", x.pos[2])
	}
	seq, err := x.c.Mute(x.ctx, x.pos[0], x.pos[1], d)
	if err != nil {
		return err
	}
	if d == 0 {
		x.printf("unmuted %s in %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	} else {
		x.printf("muted %s in %s for %s (seq %d)\n", x.pos[1], x.pos[0], d, seq)
	}
	return nil
}

func cmdMuteAll(x *cli) error {
	on, err := parseOnOff(x.pos[1])
	if err != nil {
		return err
	}
	seq, err := x.c.MuteAll(x.ctx, x.pos[0], on)
	if err != nil {
		return err
	}
	if on {
		x.printf("muted %s: only the owner and admins may post (seq %d)\n", x.pos[0], seq)
	} else {
		x.printf("unmuted %s: everyone may post (seq %d)\n", x.pos[0], seq)
	}
	return nil
}

func cmdTransfer(x *cli) error {
	seq, err := x.c.TransferOwner(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("%s now owns %s (seq %d)\n", x.pos[1], x.pos[0], seq)
	return nil
}

func cmdDissolve(x *cli) error {
	seq, err := x.c.Dissolve(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	x.printf("dissolved %s (seq %d)\n", x.pos[0], seq)
	return nil
}

func cmdAnnounce(x *cli) error {
	seq, err := x.c.Announce(x.ctx, x.pos[0], strings.Join(x.pos[1:], " "))
	if err != nil {
		return err
	}
	x.printf("announced in %s (seq %d)\n", x.pos[0], seq)
	return nil
}

func cmdAck(x *cli) error {
	if err := x.c.AckAnnouncement(x.ctx, x.pos[0]); err != nil {
		return err
	}
	x.printf("acknowledged the announcement of %s\n", x.pos[0])
	return nil
}

// cmdAnnouncement shows the current announcement; to the owner and admins
// also who has not acknowledged it.
func cmdAnnouncement(x *cli) error {
	i, err := x.c.GroupInfo(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	if i.YourRole == nil {
		return fmt.Errorf("only members see the announcement of %s", x.pos[0])
	}
	a := i.Announcement
	if a == nil {
		x.printf("%s has no announcement\n", x.pos[0])
		return nil
	}
	x.printf("announcement #%d by %s at %s\n%s\n", a.Seq, a.By, fmtTime(a.At), a.Text)
	if *i.YourRole < wire.RoleAdmin {
		return nil
	}
	st, err := x.c.AnnouncementState(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	x.printf("acknowledged by %d; not yet by %d:", st.Acked, len(st.Unacked))
	for _, u := range st.Unacked {
		x.printf(" %s", u)
	}
	x.printf("\n")
	return nil
}

func cmdPin(x *cli, unpin bool) error {
	seq, err := parseSeq(x.pos[1])
	if err != nil {
		return err
	}
	var ev uint64
	if unpin {
		ev, err = x.c.Unpin(x.ctx, x.pos[0], seq)
	} else {
		ev, err = x.c.Pin(x.ctx, x.pos[0], seq)
	}
	if err != nil {
		return err
	}
	verb := "pinned"
	if unpin {
		verb = "unpinned"
	}
	x.printf("%s message %d in %s (seq %d)\n", verb, seq, x.pos[0], ev)
	return nil
}

func cmdStats(x *cli) error {
	s, err := x.c.GroupStats(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	x.printf("group %s\nmembers %d\nfemale %d\nactive_7d %d\naverage_age %.1f\nmsgs_yesterday %d\nmsgs_today %d\n",
		s.Group, s.Members, s.Female, s.Active7d, s.AverageAge, s.MsgsYesterday, s.MsgsToday)
	return nil
}

// ---- my lists and discovery ----

func cmdTop(x *cli) error {
	on, err := parseOnOff(x.pos[1])
	if err != nil {
		return err
	}
	if err := x.c.PinGroup(x.ctx, x.pos[0], on); err != nil {
		return err
	}
	if on {
		x.printf("%s is pinned to the top of your groups\n", x.pos[0])
	} else {
		x.printf("%s is no longer pinned\n", x.pos[0])
	}
	return nil
}

func cmdShow(x *cli) error {
	on, err := parseOnOff(x.pos[1])
	if err != nil {
		return err
	}
	if err := x.c.ShowOnProfile(x.ctx, x.pos[0], on); err != nil {
		return err
	}
	if on {
		x.printf("%s is shown on your profile\n", x.pos[0])
	} else {
		x.printf("%s is hidden from your profile\n", x.pos[0])
	}
	return nil
}

func cmdProfile(x *cli) error {
	cards, err := x.c.ProfileGroups(x.ctx, x.pos[0])
	if err != nil {
		return err
	}
	printCards(x, cards)
	return nil
}

func cmdSearch(x *cli) error {
	a := wire.SearchArgs{Query: strings.Join(x.pos, " "), Category: x.o.category}
	if a.Query == "" && a.Category == "" {
		return usagef("usage: qun search [--category C] [QUERY...]: give a query, a category or both")
	}
	if x.o.set("limit") {
		a.Limit = x.o.limit
	}
	cards, err := x.c.Search(x.ctx, a)
	if err != nil {
		return err
	}
	printCards(x, cards)
	return nil
}

func cmdNearby(x *cli) error {
	lat, err1 := strconv.ParseFloat(x.pos[0], 64)
	lng, err2 := strconv.ParseFloat(x.pos[1], 64)
	if err1 != nil || err2 != nil {
		return usagef("usage: qun nearby LAT LNG [--radius KM]: LAT and LNG are numbers, e.g. 31.23 121.47")
	}
	a := wire.NearbyArgs{Lat: lat, Lng: lng, RadiusKm: x.o.radius}
	if x.o.set("limit") {
		a.Limit = x.o.limit
	}
	cards, err := x.c.Nearby(x.ctx, a)
	if err != nil {
		return err
	}
	printCards(x, cards)
	return nil
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

// ---- helpers ----

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

func newCMID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// formatMsg prints SEQ SENDER TEXT; a system event as SEQ ACTOR * EVENT
// [TARGET] [TEXT] [until TIME].
func formatMsg(m wire.Message) string {
	switch {
	case m.Body.Text != nil:
		return fmt.Sprintf("%d %s %s", m.Seq, m.Sender, m.Body.Text.Text)
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
	return fmt.Sprintf("%d %s [message type %d]", m.Seq, m.Sender, m.Type)
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

// chat prints the group's messages as they arrive, in seq order without
// duplicates or silent gaps, and notices; it sends every line typed. It
// reconnects and resyncs when the connection drops.
func chat(parent context.Context, g *globals, group string, stdin io.Reader, stdout io.Writer) (int, error) {
	ctx, cancel := context.WithCancel(parent)
	var out struct {
		sync.Mutex
		stopped bool
	}
	print := func(s string) {
		out.Lock()
		if !out.stopped {
			fmt.Fprintln(stdout, s)
		}
		out.Unlock()
	}
	tr := client.NewTracker()
	var cur struct {
		sync.Mutex
		c      *client.Client
		closed bool
	}
	current := func() *client.Client {
		cur.Lock()
		defer cur.Unlock()
		return cur.c
	}
	var bg sync.WaitGroup
	// On return: stop the reconnect loop, close the connection, wait.
	defer func() {
		cancel()
		cur.Lock()
		cur.closed = true
		c := cur.c
		cur.Unlock()
		if c != nil {
			c.Close()
		}
		bg.Wait()
		out.Lock()
		out.stopped = true
		out.Unlock()
	}()
	// fill fetches history after the tracker's last seq and prints it.
	var fillMu sync.Mutex
	fill := func(c *client.Client) {
		fillMu.Lock()
		defer fillMu.Unlock()
		for i := 0; i < 1000 && ctx.Err() == nil; i++ {
			last := tr.Last()[group]
			h, err := c.History(ctx, wire.HistoryArgs{Group: group, After: wire.After(last), Limit: 200})
			if err != nil || len(h.Msgs) == 0 {
				return
			}
			for _, m := range h.Msgs {
				if v, _ := tr.Observe(group, m.Seq); v == client.Deliver {
					print(formatMsg(m))
				}
			}
			if !h.More {
				return
			}
		}
	}
	connect := func() (*client.Client, error) {
		var c *client.Client
		var err error
		c, err = client.Dial(ctx, g.server, client.Options{Token: g.token, Name: "qun-cli/1",
			OnPush: func(p *wire.Push) {
				if p.Group != group {
					return
				}
				for _, m := range p.Msgs {
					switch v, _ := tr.Observe(group, m.Seq); v {
					case client.Deliver:
						print(formatMsg(m))
					case client.Gap:
						go fill(c)
						return
					}
				}
			},
			OnGap: func(gp *wire.Gap) {
				if gp.Group == group {
					go fill(c)
				}
			},
			OnNotice: func(n *wire.Notice) { print(formatNotice(n, group)) },
		})
		return c, err
	}
	c, err := connect()
	if err != nil {
		return 1, err
	}
	cur.c = c
	// Show the recent past, then everything live.
	h, err := c.History(ctx, wire.HistoryArgs{Group: group, Limit: 20})
	if err != nil {
		return 1, err
	}
	for _, m := range h.Msgs {
		if v, _ := tr.Observe(group, m.Seq); v == client.Deliver {
			print(formatMsg(m))
		}
	}
	fill(c)
	// Reconnect loop.
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			cc := current()
			select {
			case <-ctx.Done():
				return
			case <-cc.Done():
			}
			if ctx.Err() != nil {
				return
			}
			print("* connection lost: " + describe(errOr(cc.Err())) + "; reconnecting")
			for attempt := 0; ; attempt++ {
				nc, err := connect()
				if err == nil {
					cur.Lock()
					closed := cur.closed
					if !closed {
						cur.c = nc
					}
					cur.Unlock()
					if closed {
						nc.Close()
						return
					}
					_, _ = nc.Resync(ctx, map[string]uint64{group: tr.Last()[group]})
					print("* reconnected")
					break
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff(attempt)):
				}
			}
		}
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return 0, nil
		case line, ok := <-lines:
			if !ok {
				return 0, nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			cmid := newCMID()
			// Retry the same cmid across reconnects: the server posts it once.
			for attempt := 0; attempt < 10; attempt++ {
				rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := current().SendText(rctx, group, cmid, line)
				rcancel()
				if err == nil {
					break
				}
				var we *wire.Error
				if errors.As(err, &we) && we.Code != wire.CodeTimeout && we.Code != wire.CodeUnavailable && we.Code != wire.CodeSlowConsumer && we.Code != wire.CodeShuttingDown {
					print("* not sent: " + describe(err))
					break
				}
				if ctx.Err() != nil {
					return 0, nil
				}
				time.Sleep(backoff(attempt))
			}
		}
	}
}

func errOr(err error) error {
	if err == nil {
		return errors.New("closed")
	}
	return err
}

func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 5)
	return d
}
