package main

import (
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// TestSendBodies: send's flags make the rich body they name, which passes
// the server's checks and renders on one line.
func TestSendBodies(t *testing.T) {
	cases := []struct {
		args []string
		typ  wire.MsgType
		line string
	}{
		{[]string{"g1", "hello", "all"}, wire.MsgText, "hello all"},
		{[]string{"g1", "看直播", "--at", "bob,@carol"}, wire.MsgText, "@bob @carol 看直播"},
		{[]string{"g1", "x", "--at", "all"}, wire.MsgText, "@all x"},
		{[]string{"g1", "--image", "https://i.example/a.jpg", "--w", "640", "--h", "480"}, wire.MsgImage, "[image 640x480] https://i.example/a.jpg"},
		{[]string{"g1", "--video", "v1", "新视频", "--dur", "59"}, wire.MsgVideo, "[video v1] 新视频 (59s)"},
		{[]string{"g1", "--live", "r1", "--title", "开播", "--ended"}, wire.MsgLive, "[live r1 ended] 开播"},
		{[]string{"g1", "--product", "sku", "--title", "登山杖", "--price", "129.5"}, wire.MsgProduct, "[product sku] 登山杖 129.50 CNY"},
		{[]string{"g1", "--sticker", "cats/wave"}, wire.MsgSticker, "[sticker cats/wave]"},
		{[]string{"g1", "--location", "31.23,121.47", "--place", "外滩"}, wire.MsgLocation, "[location 31.23000,121.47000] 外滩"},
		{[]string{"g1", "--link", "https://example.com", "--title", "x"}, wire.MsgLink, "[link] x https://example.com"},
		{[]string{"g1", "--custom", "shop.coupon", "--fields", "code=SAVE5,cents=500,rate=0.5,new=true"}, wire.MsgCustom, "[shop.coupon] cents=500 code=SAVE5 new=true rate=0.5"},
	}
	for _, c := range cases {
		g := &globals{}
		fs := newFlags("send", g)
		o := newOpts(fs)
		pos, err := parse(fs, c.args)
		if err != nil {
			t.Fatal(err)
		}
		x := &cli{o: o, pos: pos}
		typ, body, err := x.body()
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		m := wire.Message{Type: typ, Body: body}
		if typ != c.typ || strings.TrimSpace(m.Line()) != c.line {
			t.Errorf("%v: type %d, %q; want %d, %q", c.args, typ, m.Line(), c.typ, c.line)
		}
		if err := m.Check(4096); err != nil {
			t.Errorf("%v: the server would refuse it: %v", c.args, err)
		}
	}
	for _, bad := range [][]string{{"g1"}, {"g1", "--sticker", "nopack"}, {"g1", "--location", "x"}, {"g1", "--product", "p", "--price", "1.234"},
		{"g1", "--product", "p", "--price", "abc"}, {"g1", "--custom", "t", "--fields", "novalue"}} {
		g := &globals{}
		fs := newFlags("send", g)
		o := newOpts(fs)
		pos, err := parse(fs, bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := (&cli{o: o, pos: pos}).body(); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
