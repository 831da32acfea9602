package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
)

// chromium finds a Chromium or Chrome; outside CI its absence skips the
// browser test (.ci/run installs Debian's chromium when CI=true).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium in PATH under CI: .ci/run should have installed Debian's chromium")
	}
	t.Skip("no Chromium found (chromium, chromium-browser, google-chrome): the console's browser test needs one; apt-get install chromium")
	return ""
}

// TestConsoleInChromium runs qund in process (serve, with the console on
// its WebSocket listener and the admin listener for the metrics) and drives
// the console in headless Chromium: two browser sessions sign in and chat,
// a message sent by the Go client shows up in both, the group info and the
// operator page render; a screenshot of each page is written to the test's
// temp dir and must not be blank.
func TestConsoleInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	o := defaultOptions()
	o.cfg.Listen, o.cfg.WSListen, o.admin = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	o.cfg.GossipAddr, o.cfg.RemoteAddr = "127.0.0.1:0", "127.0.0.1:0"
	o.cfg.DataDir = filepath.Join(dir, "data")
	o.logLevel = "error"
	pr, pw := io.Pipe()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, &o, pw, io.Discard); pw.Close() }()
	lines := bufio.NewScanner(pr)
	var tcpAddr, consoleURL string
	for (tcpAddr == "" || consoleURL == "") && lines.Scan() {
		if m := regexp.MustCompile(`^qund listening on (\S+) `).FindStringSubmatch(lines.Text()); m != nil {
			tcpAddr = m[1]
		}
		if m := regexp.MustCompile(`^qund console at (http://\S+/) `).FindStringSubmatch(lines.Text()); m != nil {
			consoleURL = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if consoleURL == "" {
		t.Fatal("qund printed no console URL")
	}
	secret, err := engine.LoadOrCreateSecret(o.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	token := func(user string) string {
		tok, err := engine.MintToken(secret, user, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	// The Go client makes the group; alice and bob join it.
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	gc, err := client.Dial(cctx, tcpAddr, client.Options{Token: token("gopher")})
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	g, err := gc.CreateGroup(cctx, "browser test")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		c, err := client.Dial(cctx, tcpAddr, client.Options{Token: token(u)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(cctx, g); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if _, err := gc.SendText(cctx, g, "before", "welcome, browsers"); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1100, 800),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	browser, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(browser); err != nil { // start the browser
		t.Fatal(err)
	}
	// A tab lives as long as the context of its first action: open it
	// with no timeout, then bound each action separately.
	tab := func() (context.Context, context.CancelFunc) {
		ctx, cancel := chromedp.NewContext(browser)
		if err := chromedp.Do(ctx); err != nil {
			t.Fatal(err)
		}
		return ctx, cancel
	}
	shots := t.TempDir()
	page := &pageT{t: t, shots: shots}

	a, acl := tab()
	defer acl()
	b, bcl := tab()
	defer bcl()

	// Sign-in page, then my groups with the unread count.
	page.do(a, "open the console", chromedp.Navigate(consoleURL))
	page.waitJS(a, "sign-in page", `!!document.querySelector("#signin-token")`)
	page.shot(a, "signin")
	page.signIn(a, token("alice"))
	page.waitJS(a, "alice's group list", fmt.Sprintf(`!!document.querySelector('li[data-g=%q]')`, g))
	unread := page.eval(a, fmt.Sprintf(`document.querySelector('li[data-g=%q] .badge').textContent`, g))
	if unread == "0" || unread == "" {
		t.Errorf("unread count %q, want > 0 (the group has messages alice has not read)", unread)
	}
	page.shot(a, "groups")

	page.do(b, "open the console", chromedp.Navigate(consoleURL))
	page.waitJS(b, "sign-in page", `!!document.querySelector("#signin-token")`)
	page.signIn(b, token("bob"))
	page.waitJS(b, "bob's group list", fmt.Sprintf(`!!document.querySelector('li[data-g=%q]')`, g))

	// Both open the chat; history is there.
	for _, p := range []context.Context{a, b} {
		page.do(p, "open the chat", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = "#/chat/%s"`, g)))
		page.waitText(p, "history in the chat", "welcome, browsers")
	}
	// Alice writes; bob sees it.
	page.send(a, "hello from alice's browser")
	page.waitText(b, "alice's line in bob's browser", "hello from alice's browser")
	page.send(b, "hi alice, bob here")
	page.waitText(a, "bob's line in alice's browser", "hi alice, bob here")
	// The Go client writes; both browsers show it.
	if _, err := gc.SendText(cctx, g, "go1", "sent by the Go client"); err != nil {
		t.Fatal(err)
	}
	page.waitText(a, "the Go client's line (alice)", "sent by the Go client")
	page.waitText(b, "the Go client's line (bob)", "sent by the Go client")
	page.shot(a, "chat")

	// Scroll-back: 40 more messages, then a fresh view loads older pages.
	for i := 0; i < 40; i++ {
		if _, err := gc.SendText(cctx, g, fmt.Sprint("bulk", i), fmt.Sprintf("bulk line %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	page.waitText(a, "the last bulk line", "bulk line 39")
	page.do(a, "reload", chromedp.Reload()) // a new page: only the latest history page is loaded
	page.waitText(a, "chat after reload", "bulk line 39")
	page.waitJS(a, "the older button", `!document.querySelector("#older").hidden`)
	page.do(a, "load older", chromedp.Evaluate[chromedp.Void](`document.querySelector("#older").click()`))
	page.waitText(a, "scrolled-back history", "hello from alice's browser")

	// Group info with members and stats; the owner announces there.
	if _, err := gc.Announce(cctx, g, "read the rules"); err != nil {
		t.Fatal(err)
	}
	page.do(a, "group info", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = "#/info/%s"`, g)))
	page.waitText(a, "members on the info page", "gopher")
	page.waitText(a, "the announcement", "read the rules")
	page.shot(a, "info")

	// Operator page: nodes, connections, top groups, metrics.
	page.do(a, "operator page", chromedp.Evaluate[chromedp.Void](`location.hash = "#/ops"`))
	page.waitJS(a, "the node table", `!!document.querySelector("#ops-nodes") && document.querySelector("#ops-nodes").innerText.includes("this node")`)
	page.waitJS(a, "top groups", fmt.Sprintf(`document.querySelector("#ops-top").innerText.includes(%q)`, g))
	page.waitJS(a, "metrics", `document.querySelector("#ops-metrics").innerText.includes("qun_requests_total")`)
	page.waitJS(a, "two websocket connections", `/\/ [1-9]/.test(document.querySelector("#ops-conns").innerText)`)
	page.shot(a, "ops")
}

type pageT struct {
	t     *testing.T
	shots string
}

func (p *pageT) do(ctx context.Context, what string, a chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, a); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

func (p *pageT) eval(ctx context.Context, js string) string {
	p.t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitJS polls a boolean expression until it holds, for at most 20 s.
func (p *pageT) waitJS(ctx context.Context, what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](`(() => { try { return !!(`+js+`) } catch (e) { return false } })()`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			body, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body.innerText`))
			cancel()
			p.t.Fatalf("timed out waiting for %s (%v); page text:\n%s", what, err, body)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

func (p *pageT) waitText(ctx context.Context, what, text string) {
	p.t.Helper()
	p.waitJS(ctx, what, fmt.Sprintf(`document.querySelector("#view").innerText.includes(%q)`, text))
}

func (p *pageT) signIn(ctx context.Context, token string) {
	p.t.Helper()
	p.do(ctx, "sign in", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`document.querySelector("#signin-token").value = %q; document.querySelector("#signin-go").click()`, token)))
}

func (p *pageT) send(ctx context.Context, text string) {
	p.t.Helper()
	p.waitJS(ctx, "the message box", `!!document.querySelector("#chat-input")`)
	p.do(ctx, "send", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`document.querySelector("#chat-input").value = %q; document.querySelector("#chat-send").click()`, text)))
}

// shot writes a PNG of the page and checks it is not blank: it must decode
// and hold many distinct colours (a blank or single-colour page has one or
// two).
func (p *pageT) shot(ctx context.Context, name string) {
	p.t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		p.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	colors := map[[4]uint32]struct{}{}
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			r, g, b, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, b, a}] = struct{}{}
		}
	}
	if len(colors) < 16 || bnd.Dx() < 400 || bnd.Dy() < 300 {
		p.t.Fatalf("screenshot %s (%v) looks blank: %d distinct colours", path, bnd, len(colors))
	}
	p.t.Logf("screenshot %s: %dx%d, %d colours", path, bnd.Dx(), bnd.Dy(), len(colors))
}
