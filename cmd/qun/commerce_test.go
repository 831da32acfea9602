package main

import (
	"strings"
	"testing"
	"time"

	"github.com/qunchat/qun/internal/testserver"
)

// poll runs cond until it holds or 15 s pass.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCLICommerce walks the story of issue 11 with qun against a node with
// the in-memory host: a packet claimed by three users and shown, a second
// one expiring into a refund in the ledger, a coupon, a lottery to its draw,
// and an order group driven to archived.
func TestCLICommerce(t *testing.T) {
	cfg := testserver.Config(t.TempDir())
	cfg.Operators = []string{"ops"}
	cfg.TimerPeriod = 50 * time.Millisecond
	cfg.Group.Commerce.OrderArchiveAfter = 500
	n := &node{t: t, e: testserver.Start(t, cfg)}

	if out := n.ok("ops", "grant", "alice", "10000"); !strings.HasPrefix(out, "alice balance 10000") {
		t.Fatalf("grant: %q", out)
	}
	n.fails("bob", "code 205 forbidden", "grant", "bob", "100")
	g := n.create("alice", "shop talk")
	for _, u := range []string{"bob", "carol", "dave"} {
		n.ok(u, "join", g)
	}

	// A packet of ¥8.88 in 8 lucky shares, claimed by three.
	p := strings.TrimSpace(n.ok("alice", "packet", "send", g, "--total", "888", "--count", "8", "--greeting", "恭喜发财"))
	for _, u := range []string{"bob", "carol", "dave"} {
		if out := n.ok(u, "packet", "claim", g, p); !strings.HasPrefix(out, "claimed ¥") {
			t.Fatalf("claim: %q", out)
		}
	}
	show := n.ok("bob", "packet", "show", g, p)
	if ls := lines(show); len(ls) != 4 || !strings.Contains(ls[0], "8 lucky shares") || !strings.Contains(ls[0], "open") {
		t.Fatalf("show:\n%s", show)
	}
	// A send with --cmid of an earlier send is a retry of it: one packet, one debit.
	r1 := strings.TrimSpace(n.ok("alice", "packet", "send", g, "--total", "100", "--count", "1", "--cmid", "retry-1"))
	if r2 := strings.TrimSpace(n.ok("alice", "packet", "send", g, "--total", "100", "--count", "1", "--cmid", "retry-1")); r2 != r1 {
		t.Fatalf("a retry with the same cmid sent %q after %q", r2, r1)
	}
	if k := strings.Count(n.ok("alice", "balance"), "debit "+r1+"/debit "); k != 1 {
		t.Fatalf("%d debits for the retried packet", k)
	}
	n.fails("bob", "code 344 wrong_group", "packet", "claim", g, "gxxxxxxxxxxxxxxxx~00")
	n.fails("eve", "code 203 not_member", "packet", "claim", g, p)

	// A second packet expires: the remainder comes back, once.
	p2 := strings.TrimSpace(n.ok("alice", "packet", "send", g, "--total", "300", "--count", "3", "--equal", "--expires", "1s"))
	n.ok("bob", "packet", "claim", g, p2)
	poll(t, "the refund in alice's ledger", func() bool {
		return strings.Contains(n.ok("alice", "balance"), "credit "+p2+"/refund 200 ")
	})
	n.fails("carol", "code 342 packet_expired", "packet", "claim", g, p2)
	if out := n.ok("alice", "packet", "show", g, p2); !strings.Contains(out, "expired") || !strings.Contains(out, "refunded: 200") {
		t.Fatalf("show expired:\n%s", out)
	}

	// A coupon batch of one in a shop group.
	n.ok("alice", "shop", g, "on")
	if out := n.ok("eve", "shops", "alice"); !strings.HasPrefix(out, g+" ") {
		t.Fatalf("shop page: %q", out)
	}
	c := strings.TrimSpace(n.ok("alice", "coupon", "post", g, "--title", "¥5 off ¥30", "--value", "500", "--threshold", "3000", "--count", "1"))
	n.ok("bob", "coupon", "claim", g, c)
	n.fails("carol", "code 347 sold_out", "coupon", "claim", g, c)
	if out := n.ok("bob", "coupon", "show", g, c); !strings.Contains(out, "0 of 1 left") || !strings.Contains(out, "yours: true") {
		t.Fatalf("coupon show: %q", out)
	}

	// A lottery run to its draw.
	l := strings.Fields(n.ok("alice", "lottery", "open", g, "--prize", "a mug", "--winners", "1", "--deadline", "1s"))[0]
	n.ok("bob", "lottery", "enter", g, l)
	n.ok("carol", "lottery", "enter", g, l)
	poll(t, "the draw", func() bool { return strings.Contains(n.ok("dave", "lottery", "show", g, l), "winners: ") })
	if h := n.ok("dave", "history", g); !strings.Contains(h, "* lottery_drawn") || !strings.Contains(h, "* red_packet") {
		t.Fatalf("history:\n%s", h)
	}

	// An order group, created once, driven to archived.
	og := strings.TrimSpace(n.ok("ops", "order", "create", "o-42", "--buyer", "bob", "--merchant", "alice"))
	if again := strings.TrimSpace(n.ok("ops", "order", "create", "o-42", "--buyer", "bob", "--merchant", "alice")); again != og {
		t.Fatalf("order create not idempotent: %q then %q", og, again)
	}
	n.ok("ops", "order", "event", "o-42", "assigned", "--rider", "rita")
	n.ok("rita", "send", og, "on my way")
	n.ok("ops", "order", "event", "o-42", "picked_up")
	n.ok("ops", "order", "event", "o-42", "delivered")
	n.fails("rita", "code 203 not_member", "send", og, "hello?")
	poll(t, "the order group archived", func() bool {
		_, code, errLine := n.qun("bob", "send", og, "thanks")
		return code != 0 && strings.Contains(errLine, "code 348 read_only")
	})
	// The refusal may come before the archive event is durable: history
	// shows it once it is.
	poll(t, "the archive event in history", func() bool { return strings.Contains(n.ok("bob", "history", og), " archived\n") })
}
