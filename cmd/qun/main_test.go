package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/internal/leaktest"
	"github.com/qunchat/qun/internal/testserver"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
)

func TestMain(m *testing.M) {
	// goleak with no ignore list; see internal/leaktest.
	leaktest.Main(m)
}

// node is one in-process engine that the CLI talks to.
type node struct {
	t *testing.T
	e *engine.Engine
}

func startNode(t *testing.T) *node {
	t.Helper()
	return &node{t: t, e: testserver.Start(t, testserver.Config(t.TempDir()))}
}

func (n *node) token(user string) string {
	n.t.Helper()
	return testserver.Token(n.t, n.e, user)
}

// qun runs the CLI as user and returns its output, exit status and the
// line main would print on stderr.
func (n *node) qun(user string, args ...string) (out string, code int, errLine string) {
	n.t.Helper()
	var buf bytes.Buffer
	full := append([]string{"--server", n.e.Addr().String(), "--token", n.token(user)}, args...)
	code, err := run(full, strings.NewReader(""), &buf)
	if err != nil {
		errLine = "qun: " + describe(err)
	}
	return buf.String(), code, errLine
}

// ok runs a command that must succeed.
func (n *node) ok(user string, args ...string) string {
	n.t.Helper()
	out, code, errLine := n.qun(user, args...)
	if code != 0 {
		n.t.Fatalf("qun %s (as %s): exit %d: %s", strings.Join(args, " "), user, code, errLine)
	}
	return out
}

// fails runs a command that must fail with one error line naming want
// (e.g. "code 207 muted"), and a non-zero exit.
func (n *node) fails(user, want string, args ...string) {
	n.t.Helper()
	out, code, errLine := n.qun(user, args...)
	switch {
	case code == 0:
		n.t.Fatalf("qun %s (as %s) succeeded: %q", strings.Join(args, " "), user, out)
	case strings.Contains(errLine, "\n"):
		n.t.Fatalf("qun %s: error is not one line: %q", strings.Join(args, " "), errLine)
	case !strings.Contains(errLine, want):
		n.t.Fatalf("qun %s: error %q does not name %q", strings.Join(args, " "), errLine, want)
	}
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// field returns the value of the line "key value" of out.
func field(t *testing.T, out, key string) string {
	t.Helper()
	for _, l := range lines(out) {
		if v, ok := strings.CutPrefix(l, key+" "); ok {
			return v
		}
	}
	t.Fatalf("no %q line in:\n%s", key, out)
	return ""
}

var groupID = regexp.MustCompile(`^g[a-z2-7]{16}$`)

func (n *node) create(user, name string) string {
	n.t.Helper()
	g := strings.TrimSpace(n.ok(user, "create", name))
	if !groupID.MatchString(g) {
		n.t.Fatalf("create printed %q, not a group id", g)
	}
	return g
}

func TestCLI(t *testing.T) {
	n := startNode(t)
	// alice creates more groups than the default tier's 4.
	n.e.Host().SetTier("alice", engine.Tier{MaxOwnedGroups: 50, MaxMembers: 200})

	t.Run("create join send history", func(t *testing.T) {
		n.t = t
		g := n.create("alice", "weekend hikes")
		if got := n.ok("bob", "join", g); got != "joined "+g+" (weekend hikes)\n" {
			t.Fatalf("join printed %q", got)
		}
		if got := n.ok("alice", "send", g, "hello", "world"); got != "3\n" {
			t.Fatalf("send printed %q, want the seq 3", got)
		}
		if got := n.ok("bob", "send", "--", g, "hi -all"); got != "4\n" {
			t.Fatalf("send printed %q", got)
		}
		want := []string{"1 alice * created weekend hikes", "2 bob * joined", "3 alice hello world", "4 bob hi -all"}
		if got := lines(n.ok("bob", "history", g)); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got := n.ok("alice", "history", g, "--after", "2", "--limit", "1"); got != "3 alice hello world\n" {
			t.Fatalf("history --after 2 --limit 1: %q", got)
		}
		if got := n.ok("alice", "members", g); got != "alice owner\nbob member\n" {
			t.Fatalf("members: %q", got)
		}
		n.fails("carol", "code 203 not_member", "history", g)
		n.fails("bob", "code 204 already_member", "join", g)
		// The environment works as well as the flags.
		t.Setenv("QUN_SERVER", n.e.Addr().String())
		t.Setenv("QUN_TOKEN", n.token("bob"))
		var buf bytes.Buffer
		if code, err := run([]string{"groups"}, strings.NewReader(""), &buf); code != 0 || !strings.HasPrefix(buf.String(), g+" weekend hikes ") {
			t.Fatalf("groups with QUN_TOKEN: %d %v %q", code, err, buf.String())
		}
	})

	t.Run("invite code", func(t *testing.T) {
		n.t = t
		g := n.create("alice", "secret club")
		if got := n.ok("alice", "update", g, "--policy", "invite"); got != "updated "+g+" (seq 2)\n" {
			t.Fatalf("update printed %q", got)
		}
		n.fails("bob", "code 216 not_allowed", "join", g)
		code := strings.TrimSpace(n.ok("alice", "code", g, "--uses", "1", "--ttl", "1h"))
		if !regexp.MustCompile(`^` + g + `-[A-Z2-7]{8}$`).MatchString(code) {
			t.Fatalf("code printed %q", code)
		}
		if got := n.ok("bob", "join", "--code", code); got != "joined "+g+" (secret club) with an invite code\n" {
			t.Fatalf("join --code printed %q", got)
		}
		n.fails("carol", "code 214 invalid_code", "join", "--code", code) // used up
		codes := n.ok("alice", "codes", g)
		if codes != "" {
			t.Fatalf("a used-up code is listed: %q", codes)
		}
		code2 := strings.TrimSpace(n.ok("alice", "code", g))
		if got := n.ok("alice", "codes", g); !strings.HasPrefix(got, code2+" uses=0/unlimited expires=") || !strings.HasSuffix(got, " creator=alice\n") {
			t.Fatalf("codes: %q", got)
		}
		if got := n.ok("alice", "revoke", g, code2); got != "revoked "+code2+"\n" {
			t.Fatalf("revoke printed %q", got)
		}
		n.fails("carol", "code 214 invalid_code", "join", "--code", code2)
		n.fails("carol", "usage: qun join", "join")
		if out := n.ok("bob", "history", g); !strings.Contains(out, "3 alice * joined bob code\n") {
			t.Fatalf("history does not show the code join:\n%s", out)
		}
	})

	t.Run("apply approve reject", func(t *testing.T) {
		n.t = t
		g := n.create("alice", "book club")
		n.ok("alice", "update", g, "--policy", "approval")
		n.fails("bob", "code 216 not_allowed", "join", g)
		if got := n.ok("bob", "apply", g, "let", "me", "in"); !strings.HasPrefix(got, "asked to join "+g+"; ") {
			t.Fatalf("apply printed %q", got)
		}
		n.ok("carol", "apply", g)
		reqs := lines(n.ok("alice", "requests", g))
		if len(reqs) != 2 || !strings.HasPrefix(reqs[0], "bob applied ") || !strings.HasSuffix(reqs[0], ": let me in") || !strings.HasPrefix(reqs[1], "carol applied ") {
			t.Fatalf("requests: %q", reqs)
		}
		n.fails("bob", "code 203 not_member", "requests", g)
		if got := n.ok("alice", "approve", g, "bob"); got != "approved bob: joined "+g+" (seq 3)\n" {
			t.Fatalf("approve printed %q", got)
		}
		n.fails("bob", "code 205 forbidden", "requests", g)
		if got := n.ok("alice", "reject", g, "carol"); got != "rejected carol\n" {
			t.Fatalf("reject printed %q", got)
		}
		n.ok("bob", "send", g, "thanks")
		n.fails("carol", "code 203 not_member", "send", g, "me too")
		n.fails("alice", "code 210 not_found", "approve", g, "carol")
		if out := n.ok("alice", "history", g); !strings.Contains(out, "3 alice * joined bob approved\n4 bob thanks\n") {
			t.Fatalf("history:\n%s", out)
		}
	})

	t.Run("moderation", func(t *testing.T) {
		n.t = t
		g := n.create("alice", "loud room")
		n.ok("bob", "join", g)
		n.ok("carol", "join", g)
		if got := n.ok("alice", "mute", g, "bob", "10m"); got != "muted bob in "+g+" for 10m0s (seq 4)\n" {
			t.Fatalf("mute printed %q", got)
		}
		n.fails("bob", "code 207 muted", "send", g, "can you hear me")
		if out := n.ok("bob", "info", g); !strings.Contains(out, "\nmuted_until ") {
			t.Fatalf("info does not show the mute:\n%s", out)
		}
		n.ok("alice", "mute", g, "bob", "0")
		n.ok("bob", "send", g, "back")
		n.fails("bob", "code 205 forbidden", "mute", g, "carol", "1m")
		n.fails("alice", "usage: qun mute", "mute", g, "bob")
		n.fails("alice", "bad duration", "mute", g, "bob", "soon")

		n.ok("alice", "muteall", g, "on")
		n.fails("carol", "code 207 muted", "send", g, "hello?")
		n.ok("alice", "send", g, "the owner still speaks")
		if got := n.ok("alice", "admin", g, "bob"); !strings.HasPrefix(got, "bob is now an admin of "+g) {
			t.Fatalf("admin printed %q", got)
		}
		n.ok("bob", "send", g, "admins too")
		n.ok("alice", "muteall", g, "off")
		n.ok("carol", "send", g, "free again")

		n.ok("bob", "kick", g, "carol")
		n.fails("carol", "code 203 not_member", "send", g, "let me back")
		n.ok("alice", "ban", g, "carol")
		n.fails("carol", "code 208 banned", "join", g)
		n.ok("alice", "unban", g, "carol")
		n.ok("carol", "join", g)
		n.ok("alice", "transfer", g, "bob")
		if out := n.ok("alice", "info", g); field(t, out, "owner") != "bob" || field(t, out, "your_role") != "member" {
			t.Fatalf("after transfer:\n%s", out)
		}
		n.fails("alice", "code 205 forbidden", "dissolve", g)
		if got := n.ok("bob", "dissolve", g); !strings.HasPrefix(got, "dissolved "+g) {
			t.Fatalf("dissolve printed %q", got)
		}
		n.fails("carol", "code 215 dissolved", "send", g, "anyone?")
		hist := n.ok("alice", "history", g)
		for _, want := range []string{"4 alice * muted bob until ", "5 alice * unmuted bob\n", "* mute_all on\n", "* role bob admin\n",
			"bob * kicked carol\n", "alice * banned carol\n", "alice * owner bob\n", "bob * dissolved\n"} {
			if !strings.Contains(hist, want) {
				t.Fatalf("history lacks %q:\n%s", want, hist)
			}
		}
	})

	t.Run("stats info announcement pins", func(t *testing.T) {
		n.t = t
		n.e.Host().SetProfile("dora", engine.UserProfile{Gender: engine.GenderFemale, BirthYear: 2000})
		g := n.create("alice", "runners")
		n.ok("dora", "join", g)
		n.ok("dora", "send", g, "first")
		n.ok("dora", "send", g, "second")
		n.ok("alice", "update", g, "--desc", "morning runs", "--category", "sports", "--lat", "-33.8688", "--lng", "151.2093",
			"--city", "Sydney", "--searchable=true", "--members-invite=true", "--avatar", "https://example.com/r.png")
		n.ok("alice", "admin", g, "dora")
		n.ok("alice", "announce", g, "run", "at", "six")
		n.ok("alice", "pin", g, "3")

		st := n.ok("alice", "stats", g)
		num := func(key string) int {
			v, err := strconv.Atoi(field(t, st, key))
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			return v
		}
		if num("members") != 2 || num("female") != 1 || num("active_7d") != 1 || num("msgs_today")+num("msgs_yesterday") != 2 {
			t.Fatalf("stats:\n%s", st)
		}
		if want := fmt.Sprintf("%.1f", float64(time.Now().UTC().Year()-2000)); field(t, st, "average_age") != want {
			t.Fatalf("average_age: stats:\n%s\nwant %s", st, want)
		}
		if field(t, st, "group") != g {
			t.Fatalf("stats:\n%s", st)
		}

		info := n.ok("alice", "info", g)
		for key, want := range map[string]string{
			"name": "runners", "owner": "alice", "members": "2/200", "policy": "open", "searchable": "true",
			"members_invite": "true", "mute_all": "false", "description": "morning runs", "category": "sports",
			"location": "-33.8688,151.2093 Sydney", "admins": "dora", "pins": "3", "your_role": "owner",
			"avatar": "https://example.com/r.png",
		} {
			if got := field(t, info, key); got != want {
				t.Fatalf("info %s = %q, want %q:\n%s", key, got, want, info)
			}
		}
		if a := field(t, info, "announcement"); !regexp.MustCompile(`^#\d+ by alice at \S+: run at six$`).MatchString(a) {
			t.Fatalf("info announcement %q", a)
		}
		if field(t, n.ok("erin", "info", g), "your_role") != "none (not a member)" {
			t.Fatal("a stranger has a role")
		}

		if ann := n.ok("alice", "announcement", g); !strings.HasSuffix(ann, "\nrun at six\nacknowledged by 0; not yet by 1: dora\n") {
			t.Fatalf("announcement (owner):\n%s", ann)
		}
		n.ok("dora", "ack", g)
		if ann := n.ok("alice", "announcement", g); !strings.HasSuffix(ann, "\nacknowledged by 1; not yet by 0:\n") {
			t.Fatalf("announcement after ack:\n%s", ann)
		}
		n.ok("erin", "join", g)
		if ann := n.ok("erin", "announcement", g); !strings.HasPrefix(ann, "announcement #") || strings.Contains(ann, "acknowledged") {
			t.Fatalf("announcement (member who joined later):\n%s", ann)
		}

		// Pinned chats: my groups lists the pinned one first.
		g2 := n.create("alice", "later")
		n.ok("alice", "send", g2, "newer activity")
		if first := lines(n.ok("alice", "groups"))[0]; !strings.HasPrefix(first, g2+" ") {
			t.Fatalf("groups, first %q: want the most active", first)
		}
		n.ok("alice", "top", g, "on")
		if first := lines(n.ok("alice", "groups"))[0]; !strings.HasPrefix(first, g+" ") || !strings.HasSuffix(first, " [pinned]") {
			t.Fatalf("groups, first %q: want the pinned one", first)
		}
		n.ok("alice", "unpin", g, "3")
		if out := n.ok("alice", "info", g); strings.Contains(out, "\npins ") {
			t.Fatalf("info after unpin:\n%s", out)
		}
		n.fails("alice", "expected on or off", "top", g, "maybe")
		n.fails("frank", "only members see the announcement", "announcement", g)

		// Discovery: the index follows durable changes a moment later.
		eventually(t, "search finds runners", func() bool {
			return strings.HasPrefix(n.ok("frank", "search", "RUNN"), g+` "runners" members=3 join=open owner=alice category=sports city=Sydney`+"\n")
		})
		if got := n.ok("frank", "search", "--category", "sports", "--limit", "5"); !strings.HasPrefix(got, g+" ") {
			t.Fatalf("search --category: %q", got)
		}
		if got := n.ok("frank", "nearby", "-33.87", "151.21", "--radius", "5"); !regexp.MustCompile(`^` + g + ` "runners" .* 0\.\dkm\n$`).MatchString(got) {
			t.Fatalf("nearby: %q", got)
		}
		if got := n.ok("frank", "nearby", "31.23", "121.47", "--radius", "5"); got != "" {
			t.Fatalf("nearby Shanghai: %q", got)
		}
		n.fails("frank", "code 200 bad_request", "nearby", "0", "0", "--radius", "501")
		n.fails("frank", "give a query, a category or both", "search")
		// A profile lists the groups shown on it and the searchable groups owned.
		n.ok("dora", "show", g, "on")
		if got := n.ok("frank", "profile", "dora"); !strings.HasPrefix(got, g+" ") {
			t.Fatalf("profile dora: %q", got)
		}
		if got := n.ok("frank", "profile", "alice"); !strings.Contains(got, g+" ") {
			t.Fatalf("profile alice (owner of a searchable group): %q", got)
		}
		n.ok("dora", "show", g, "off")
		if got := n.ok("frank", "profile", "dora"); got != "" {
			t.Fatalf("profile dora after hiding: %q", got)
		}
	})

	t.Run("chat prints notices", func(t *testing.T) {
		n.t = t
		// alice is also online elsewhere for the whole test. (Without this,
		// the node's interest in the group can drop when the connection of
		// the "update" below closes just before the chat connects: the hub
		// sends its asynchronous unwatch after the chat's watch, and nothing
		// is pushed to the chat until the lease renewal, up to 10 s later.)
		phone, err := client.Dial(context.Background(), n.e.Addr().String(), client.Options{Token: n.token("alice")})
		if err != nil {
			t.Fatal(err)
		}
		defer phone.Close()
		g := n.create("alice", "waiting room")
		n.ok("alice", "update", g, "--policy", "approval")
		stdin, typed := io.Pipe()
		out := &syncBuffer{}
		done := make(chan int, 1)
		go func() {
			code, _ := run([]string{"--server", n.e.Addr().String(), "--token", n.token("alice"), "chat", g}, stdin, out)
			done <- code
		}()
		waitFor(t, out, "1 alice * created waiting room\n")
		n.ok("bob", "apply", g, "please")
		waitFor(t, out, "* join request from bob: please (qun approve|reject "+g+" bob)\n")
		if _, err := io.WriteString(typed, "hello from chat\n"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, out, "3 alice hello from chat\n")
		typed.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("chat exited %d", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("chat did not end at the end of its input")
		}
	})
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUsage checks command lines refused before anything is sent.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"mute", "g1", "bob"}, {"frobnicate"}, {"muteall", "g1"}, {"nearby", "1"}, {"code"}, {"update"},
		{"history", "g1", "--limit"}, {"send", "g1"},
	} {
		var buf bytes.Buffer
		code, err := run(append([]string{"--token", "t", "--server", "127.0.0.1:1"}, args...), strings.NewReader(""), &buf)
		if code != 2 || err == nil || strings.Contains(describe(err), "\n") {
			t.Errorf("qun %s: exit %d, %v", strings.Join(args, " "), code, err)
		}
	}
	// Without a server, a one-line error and exit 1.
	var buf bytes.Buffer
	code, err := run([]string{"--token", "t", "--server", "127.0.0.1:1", "stats", "g1"}, strings.NewReader(""), &buf)
	if code != 1 || err == nil || strings.Contains(describe(err), "\n") {
		t.Errorf("stats without a server: exit %d, %v", code, err)
	}
}

// TestParse: flags anywhere, negative numbers as arguments, "--".
func TestParse(t *testing.T) {
	g := &globals{}
	fs := newFlags("nearby", g)
	o := newOpts(fs)
	pos, err := parse(fs, []string{"-33.8688", "--radius", "5", "151.2", "--searchable=false", "--lat", "-1.5", "--", "--x"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, " ") != "-33.8688 151.2 --x" || o.radius != 5 || o.lat != -1.5 || !o.set("searchable") || o.searchable {
		t.Fatalf("pos %q radius %v lat %v", pos, o.radius, o.lat)
	}
	if _, err := parse(newFlags("x", g), []string{"--nope"}); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
}
