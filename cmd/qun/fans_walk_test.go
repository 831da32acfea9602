package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// standalone is a qund process the CLI talks to, restartable on its data
// directory.
type standalone struct {
	t      *testing.T
	exe    string
	dir    string
	secret string
	cmd    *exec.Cmd
	done   chan error
	addr   string
	tokens map[string]string
}

const walkSecret = "walk-secret-0123456789abcdef"

func buildQund(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build qund")
	}
	exe := filepath.Join(t.TempDir(), "qund")
	if out, err := exec.Command(goTool, "build", "-o", exe, "../qund").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/qund: %v\n%s", err, out)
	}
	return exe
}

// start runs qund on the data directory and waits for its listening line.
func (s *standalone) start(extra ...string) {
	s.t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data", s.dir, "--secret", s.secret, "--admin", "",
		"--fan-admins", "ops"}, extra...)
	cmd := exec.Command(s.exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`^qund listening on (\S+) `)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.addr = <-addr:
	case err := <-s.done:
		s.t.Fatalf("qund exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		s.t.Fatalf("qund did not start within 60 s\n%s", stderr.String())
	}
	s.t.Cleanup(s.kill)
}

// kill is kill -9.
func (s *standalone) kill() {
	if s.cmd != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *standalone) token(user string) string {
	if tok, ok := s.tokens[user]; ok {
		return tok
	}
	var buf bytes.Buffer
	if code, err := run([]string{"token", user, "--secret", s.secret}, strings.NewReader(""), &buf); code != 0 {
		s.t.Fatalf("qun token %s: %v", user, err)
	}
	s.tokens[user] = strings.TrimSpace(buf.String())
	return s.tokens[user]
}

func (s *standalone) qun(user string, args ...string) (string, int, string) {
	s.t.Helper()
	var buf bytes.Buffer
	code, err := run(append([]string{"--server", s.addr, "--token", s.token(user)}, args...), strings.NewReader(""), &buf)
	errLine := ""
	if err != nil {
		errLine = "qun: " + describe(err)
	}
	return buf.String(), code, errLine
}

func (s *standalone) ok(user string, args ...string) string {
	s.t.Helper()
	out, code, errLine := s.qun(user, args...)
	if code != 0 {
		s.t.Fatalf("qun %s (as %s): exit %d: %s", strings.Join(args, " "), user, code, errLine)
	}
	return out
}

func (s *standalone) fails(user, want string, args ...string) {
	s.t.Helper()
	out, code, errLine := s.qun(user, args...)
	if code == 0 || !strings.Contains(errLine, want) || strings.Contains(errLine, "\n") {
		s.t.Fatalf("qun %s (as %s): exit %d, %q %q; want an error naming %q", strings.Join(args, " "), user, code, out, errLine, want)
	}
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("%s: no %q in:\n%s", what, w, out)
		}
	}
}

// TestFanStoryOnStandaloneQund is the "Done when" story, with qun
// against a standalone qund process: three fan groups with different
// thresholds, fans who do and don't meet them, a live notice reaching all
// three live and in history, a strong announcement acknowledged, a seller's
// contact masked, an @mention in `qun groups`, a recall — and all of it
// still there after kill -9 and a restart.
func TestFanStoryOnStandaloneQund(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs qund")
	}
	s := &standalone{t: t, exe: buildQund(t), dir: t.TempDir(), secret: walkSecret, tokens: map[string]string{}}
	// Host facts from a file, as --host-facts reads them; more through the admin op.
	now := time.Now()
	facts, _ := json.Marshal(wire.HostFactsArgs{Follows: []wire.FanFollow{{Fan: "old", Creator: "cara", Since: now.Add(-30 * 24 * time.Hour).UnixMilli()}},
		Levels: []wire.FanLevel{{Fan: "old", Creator: "cara", Level: 5}}})
	factsFile := filepath.Join(t.TempDir(), "facts.json")
	if err := os.WriteFile(factsFile, facts, 0o600); err != nil {
		t.Fatal(err)
	}
	s.start("--host-facts", factsFile)
	s.ok("ops", "fanfact", "new", "cara", "--follow-days", "3", "--level", "1")
	s.fails("cara", "code 205 forbidden", "fanfact", "cara", "cara", "--level", "9")

	// Three fan groups, created out of homepage order.
	gOpen := strings.TrimSpace(s.ok("cara", "fangroup", "open", "fans", "--order", "3"))
	gLoyal := strings.TrimSpace(s.ok("cara", "fangroup", "loyal", "fans", "--follow-days", "10", "--order", "1"))
	gClub := strings.TrimSpace(s.ok("cara", "fangroup", "club", "--follow", "--level", "3", "--policy", "approval", "--order", "2"))
	homepage := s.ok("new", "fans", "cara")
	want := []string{gLoyal + ` "loyal fans" members=1/2000 needs: followed the creator for 10 days; cannot join: follow_days: follow cara for 7 more days`,
		gClub + ` "club" members=1/2000 needs: follows the creator and fan-club level 3+; needs approval; cannot join: level: reach fan-club level 3`,
		gOpen + ` "open fans" members=1/2000 needs: anyone; may join`}
	for i, l := range lines(homepage) {
		if !strings.HasPrefix(l, want[i]) {
			t.Fatalf("fans cara, line %d:\n%s\nwant prefix:\n%s", i, l, want[i])
		}
	}

	// Fans who do and don't meet the thresholds.
	s.fails("new", "follow cara for 7 more days", "join", gLoyal)
	s.fails("new", "code 217 threshold_not_met", "join", gLoyal)
	s.fails("stranger", "follow: follow cara to join", "join", gLoyal)
	s.fails("new", "level: reach fan-club level 3", "apply", gClub)
	s.ok("old", "join", gLoyal)
	s.ok("old", "apply", gClub, "fan since 2020")
	s.ok("cara", "approve", gClub, "old")
	s.ok("old", "join", gOpen)
	s.ok("new", "join", gOpen)

	// old is online in all three groups while the notice goes out.
	var mu sync.Mutex
	live := map[string]string{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oldConn, err := client.Dial(ctx, s.addr, client.Options{Token: s.token("old"), OnPush: func(p *wire.Push) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range p.Msgs {
			if m.Type == wire.MsgLive {
				live[p.Group] = m.Line()
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer oldConn.Close()
	out := s.ok("cara", "notify", "live", "r1", "开播啦", "--cover", "https://c.example/r1.jpg")
	mustContain(t, "notify", out, gOpen+" seq ", gLoyal+" seq ", gClub+" seq ", "notified 3 fan groups")
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(live)
		mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notice reached %d of 3 groups live", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustContain(t, "notify retry", s.ok("cara", "notify", "live", "r1", "开播啦"), "(already posted)")

	// A strong announcement, acknowledged.
	s.ok("cara", "strong", gOpen, "今晚8点停播维护")
	s.ok("old", "ack", gOpen)
	mustContain(t, "announcement", s.ok("cara", "announcement", gOpen), "[strong: acknowledge it with qun ack]", "acknowledged by 1; not yet by 1: new")

	// A seller's WeChat id is masked; an @mention; a recall; a rich message.
	s.ok("old", "send", gOpen, "加我vx: abc123 便宜出")
	s.ok("old", "send", gOpen, "看直播", "--at", "new")
	seq := strings.TrimSpace(s.ok("old", "send", gOpen, "oops wrong group"))
	s.ok("old", "recall", gOpen, seq)
	s.ok("cara", "send", gOpen, "--product", "sku-88", "--title", "登山杖", "--price", "129.00")
	s.fails("new", "code 205 forbidden", "send", gOpen, "hi", "--at", "all")

	check := func(when string) {
		t.Helper()
		for _, g := range []string{gOpen, gLoyal, gClub} {
			mustContain(t, when+" history "+g, s.ok("old", "history", g, "--limit", "200"), "cara [live r1 LIVE] 开播啦")
		}
		h := s.ok("new", "history", gOpen, "--limit", "200")
		mustContain(t, when+" history", h, "cara * strong_announcement 今晚8点停播维护", "old 加我＊＊＊＊＊＊＊＊＊＊ 便宜出",
			"old @new 看直播", seq+" old [recalled by old]", "old * recalled "+seq, "cara [product sku-88] 登山杖 129.00 CNY")
		if strings.Contains(h, "oops") || strings.Contains(h, "abc123") {
			t.Fatalf("%s: recalled or masked text returned:\n%s", when, h)
		}
		mustContain(t, when+" groups", s.ok("new", "groups"), gOpen+" open fans unread=", "[@me 1]")
		mustContain(t, when+" fans", s.ok("new", "fans", "cara"), `"loyal fans" members=2/2000`)
		mustContain(t, when+" info", s.ok("old", "info", gLoyal), "kind fan\nthreshold followed the creator for 10 days\n")
	}
	check("live")

	// kill -9 and restart on the same data: everything is still there.
	s.kill()
	s.start()
	check("after kill -9")
	mustContain(t, "notify after restart", s.ok("cara", "notify", "live", "r1", "开播啦"), "(already posted)")
	s.ok("new", "read", gOpen, "1000000")
	if strings.Contains(s.ok("new", "groups"), "[@me") {
		t.Fatal("mention count not cleared by read")
	}
}
