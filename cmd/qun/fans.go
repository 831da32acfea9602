package main

import (
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// Fan groups and creator tools: fan groups and thresholds, a creator's
// homepage, creator notices, strong announcements, recall, the diversion
// policy, share cards, seeding a standalone server's host facts, and the
// rich bodies and mentions of `send`.

// fanOpts are the flags of these commands and of send's rich bodies.
type fanOpts struct {
	follow                       bool
	followDays, level, order     int
	at                           string
	title, cover, id, start, url string
	dur, w, h                    int
	image, video, live           string
	ended                        bool
	product, price, currency     string
	sticker, location            string
	place, addr, link, custom    string
	data                         string
}

func newFanOpts(fs *flag.FlagSet) *fanOpts {
	f := &fanOpts{}
	fs.BoolVar(&f.follow, "follow", false, "threshold: follows the creator (fangroup, fanset)")
	fs.IntVar(&f.followDays, "follow-days", 0, "threshold: followed for at least N days (fangroup, fanset); days followed (fanfact)")
	fs.IntVar(&f.level, "level", 0, "threshold: fan-club level at least L (fangroup, fanset); the level (fanfact)")
	fs.IntVar(&f.order, "order", 0, "place on the creator's homepage (fangroup, fanset)")
	fs.StringVar(&f.at, "at", "", "mention users, comma-separated; @all for everyone (send)")
	fs.StringVar(&f.title, "title", "", "title (send --video/--live/--product/--link, notify)")
	fs.StringVar(&f.cover, "cover", "", "cover image URL (send --video/--live, notify)")
	fs.StringVar(&f.id, "id", "", "notice id: a retry with the same id posts nothing new (notify; default: kind-ID)")
	fs.StringVar(&f.start, "start", "", "preview start: RFC 3339 time or a duration from now like 2h (notify preview)")
	fs.StringVar(&f.url, "url", "", "product page URL (send --product)")
	fs.IntVar(&f.dur, "dur", 0, "video duration in seconds (send --video, notify video)")
	fs.IntVar(&f.w, "w", 0, "image width (send --image)")
	fs.IntVar(&f.h, "h", 0, "image height (send --image)")
	fs.StringVar(&f.image, "image", "", "send an image: its URL (with --w, --h)")
	fs.StringVar(&f.video, "video", "", "send a video share: the video id (with --title)")
	fs.StringVar(&f.live, "live", "", "send a live link: the room id (with --title; --ended)")
	fs.BoolVar(&f.ended, "ended", false, "the live stream has ended (send --live)")
	fs.StringVar(&f.product, "product", "", "send a product card: the product id (with --title, --price, --currency)")
	fs.StringVar(&f.price, "price", "", "price like 129.00 (send --product)")
	fs.StringVar(&f.currency, "currency", "CNY", "ISO 4217 currency (send --product)")
	fs.StringVar(&f.sticker, "sticker", "", "send a sticker: PACK/ID")
	fs.StringVar(&f.location, "location", "", "send a location: LAT,LNG (with --place, --addr)")
	fs.StringVar(&f.place, "place", "", "place name (send --location)")
	fs.StringVar(&f.addr, "addr", "", "address (send --location)")
	fs.StringVar(&f.link, "link", "", "send a link card: the URL (with --title, --desc)")
	fs.StringVar(&f.custom, "custom", "", "send a custom message: its type (with --fields k=v,...)")
	fs.StringVar(&f.data, "fields", "", "custom data: k=v pairs, comma-separated; numbers and true/false keep their type (send --custom)")
	return f
}

var fanCommands = []command{
	{name: "fangroup", args: "NAME... [--follow] [--follow-days N] [--level L] [--order N] [--policy P] [--avatar URL]", min: 1, max: -1,
		help: "create a fan group with a join threshold; prints its id", run: call(func(x *cli) (wire.CreateGroupResult, error) {
			a := wire.CreateFanGroupArgs{Name: x.rest(0), Avatar: x.o.avatar, Threshold: x.threshold(), Order: x.o.fan.order}
			if x.o.policy != "" {
				p, err := parsePolicy(x.o.policy)
				if err != nil {
					return wire.CreateGroupResult{}, err
				}
				a.Join = p
			}
			return x.c.CreateFanGroup(x.ctx, a)
		}, func(x *cli, r wire.CreateGroupResult) { x.printf("%s\n", r.Group) })},
	{name: "fanset", args: "GROUP [--follow] [--follow-days N] [--level L] [--order N]", min: 1, max: 1,
		help: "change a fan group's threshold (members stay) or homepage order", run: seq(func(x *cli) (uint64, error) {
			a := wire.SetFanGroupArgs{Group: x.pos[0]}
			if x.o.set("follow") || x.o.set("follow-days") || x.o.set("level") {
				t := x.threshold()
				a.Threshold = &t
			}
			if x.o.set("order") {
				a.Order = &x.o.fan.order
			}
			return x.c.SetFanGroup(x.ctx, a)
		}, "updated fan group {1} (seq {seq})")},
	{name: "fans", args: "CREATOR", min: 1, max: 1, help: "a creator's fan groups as their homepage shows them, and whether you may join",
		run: call(func(x *cli) (wire.FanGroupsResult, error) { return x.c.FanGroups(x.ctx, x.pos[0]) }, printFans)},
	{name: "notify", args: "live|preview|video ID TITLE... [--cover URL] [--start T] [--dur S] [--id NOTICE]", min: 3, max: -1,
		help: "post a live, preview or video notice to every fan group you own", run: call(notify, printNotice)},
	{name: "strong", args: "GROUP TEXT...", min: 2, max: -1, help: "publish a strong announcement members must acknowledge",
		run: seq(func(x *cli) (uint64, error) { return x.c.AnnounceStrong(x.ctx, x.pos[0], x.rest(1)) }, "strong announcement in {1} (seq {seq})")},
	{name: "recall", args: "GROUP SEQ", min: 2, max: 2, help: "recall a message (yours within 2 min; any as owner or admin)",
		run: seq(func(x *cli) (uint64, error) {
			s, err := parseSeq(x.pos[1])
			if err != nil {
				return 0, err
			}
			return x.c.Recall(x.ctx, x.pos[0], s)
		}, "recalled message {2} of {1} (seq {seq})")},
	{name: "divert", args: "GROUP allow|flag|mask|block|default", min: 2, max: 2, help: "what the group does with WeChat ids, phone and QQ numbers in messages",
		run: seq(func(x *cli) (uint64, error) {
			p, ok := map[string]wire.DivertPolicy{"default": wire.DivertDefault, "allow": wire.DivertAllow, "flag": wire.DivertFlag,
				"mask": wire.DivertMask, "block": wire.DivertBlock}[strings.ToLower(x.pos[1])]
			if !ok {
				return 0, usagef("policy must be allow, flag, mask, block or default, not %q", x.pos[1])
			}
			return x.c.SetDivert(x.ctx, x.pos[0], p)
		}, "diversion policy of {1}: {2} (seq {seq})")},
	{name: "share", args: "GROUP", min: 1, max: 1, help: "an invite code and texts to share the group on WeChat, QQ and Weibo",
		run: call(func(x *cli) (wire.ShareCard, error) { return x.c.ShareCard(x.ctx, x.pos[0]) }, printShare)},
	{name: "hostfacts", args: "FILE", min: 1, max: 1, help: "seed follow edges and fan-club levels from a JSON file (server admins)",
		run: act(func(x *cli) error {
			b, err := os.ReadFile(x.pos[0])
			if err != nil {
				return err
			}
			var a wire.HostFactsArgs
			if err := json.Unmarshal(b, &a); err != nil {
				return usagef("%s: %v", x.pos[0], err)
			}
			return x.c.SetHostFacts(x.ctx, a)
		}, "host facts loaded from {1}")},
	{name: "fanfact", args: "FAN CREATOR [--follow-days N] [--level L]", min: 2, max: 2,
		help: "seed one fan: follows CREATOR for N days, at level L (server admins)",
		run: act(func(x *cli) error {
			var a wire.HostFactsArgs
			if x.o.set("follow-days") || x.o.fan.follow {
				a.Follows = []wire.FanFollow{{Fan: x.pos[0], Creator: x.pos[1], Since: time.Now().Add(-time.Duration(x.o.fan.followDays) * 24 * time.Hour).UnixMilli()}}
			}
			if x.o.set("level") {
				a.Levels = []wire.FanLevel{{Fan: x.pos[0], Creator: x.pos[1], Level: x.o.fan.level}}
			}
			return x.c.SetHostFacts(x.ctx, a)
		}, "{1} is a fan of {2}")},
}

func (x *cli) threshold() wire.Threshold {
	return wire.Threshold{Follow: x.o.fan.follow, FollowDays: x.o.fan.followDays, Level: x.o.fan.level}
}

func printFans(x *cli, r wire.FanGroupsResult) {
	for _, c := range r.Groups {
		may := "may join"
		switch {
		case c.Member:
			may = "member"
		case !c.MayJoin:
			may = "cannot join: " + oneLine(c.Why)
		}
		x.printf("%s %q members=%d/%d needs: %s; %s\n", c.Group, c.Name, c.Members, c.MaxMembers, c.Words, may)
	}
}

func notify(x *cli) (wire.CreatorNoticeResult, error) {
	kind, ref := strings.ToLower(x.pos[0]), x.pos[1]
	a := wire.CreatorNoticeArgs{ID: x.o.fan.id, Kind: kind, Title: x.rest(2), Cover: x.o.fan.cover, Dur: x.o.fan.dur}
	if a.ID == "" {
		a.ID = kind + "-" + ref
	}
	switch kind {
	case wire.NoticeLive, wire.NoticePreview:
		a.Room = ref
	case wire.NoticeVideo:
		a.Video = ref
	default:
		return wire.CreatorNoticeResult{}, usagef("notify live, preview or video, not %q", kind)
	}
	if kind == wire.NoticePreview {
		t, err := parseWhen(x.o.fan.start)
		if err != nil {
			return wire.CreatorNoticeResult{}, err
		}
		a.Start = t.UnixMilli()
	}
	return x.c.NotifyCreator(x.ctx, a)
}

// parseWhen reads an RFC 3339 time or a duration from now.
func parseWhen(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, usagef("--start %q: use an RFC 3339 time or a duration like 2h", s)
	}
	return t, nil
}

func printNotice(x *cli, r wire.CreatorNoticeResult) {
	for _, g := range r.Groups {
		switch {
		case g.Code != 0:
			x.printf("%s refused (code %d %s)\n", g.Group, uint16(g.Code), g.Code)
		case g.Dup:
			x.printf("%s seq %d (already posted)\n", g.Group, g.Seq)
		default:
			x.printf("%s seq %d\n", g.Group, g.Seq)
		}
	}
	x.printf("notified %d fan groups\n", len(r.Groups))
}

func printShare(x *cli, s wire.ShareCard) {
	x.printf("code %s\nexpires %s\n", s.Code, fmtTime(s.Expire))
	for _, k := range []string{"wechat", "qq", "weibo"} {
		x.printf("%s %s\n", k, s.Links[k])
	}
	printCards(x, []wire.GroupCard{s.Card})
}

// cmdSend sends text (with --at mentions) or the rich body its flags name.
func cmdSend(x *cli) error {
	t, body, err := x.body()
	if err != nil {
		return err
	}
	r, err := x.c.Send(x.ctx, x.pos[0], client.NewCMID(), t, body)
	if err != nil {
		return err
	}
	x.printf("%d\n", r.Seq)
	return nil
}

// body builds the message send's flags and arguments describe.
func (x *cli) body() (wire.MsgType, wire.Body, error) {
	f := x.o.fan
	title := f.title
	if title == "" && len(x.pos) > 1 {
		title = x.rest(1)
	}
	switch {
	case f.image != "":
		return wire.MsgImage, wire.Body{Image: &wire.ImageBody{URL: f.image, W: f.w, H: f.h}}, nil
	case f.video != "":
		return wire.MsgVideo, wire.Body{Video: &wire.VideoBody{ID: f.video, Title: title, Cover: f.cover, Duration: f.dur}}, nil
	case f.live != "":
		return wire.MsgLive, wire.Body{Live: &wire.LiveBody{Room: f.live, Title: title, Cover: f.cover, Live: !f.ended}}, nil
	case f.product != "":
		cents, err := parsePrice(f.price)
		if err != nil {
			return 0, wire.Body{}, err
		}
		return wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: f.product, Title: title, Price: cents, Currency: strings.ToUpper(f.currency), URL: f.url, Image: f.cover}}, nil
	case f.sticker != "":
		pack, id, ok := strings.Cut(f.sticker, "/")
		if !ok {
			return 0, wire.Body{}, usagef("--sticker PACK/ID")
		}
		return wire.MsgSticker, wire.Body{Sticker: &wire.StickerBody{Pack: pack, ID: id}}, nil
	case f.location != "":
		la, lo, ok := strings.Cut(f.location, ",")
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
		lng, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		if !ok || err1 != nil || err2 != nil {
			return 0, wire.Body{}, usagef("--location LAT,LNG")
		}
		return wire.MsgLocation, wire.Body{Location: &wire.LocationBody{Lat: lat, Lng: lng, Name: f.place, Address: f.addr}}, nil
	case f.link != "":
		return wire.MsgLink, wire.Body{Link: &wire.LinkBody{URL: f.link, Title: title, Desc: x.o.desc, Image: f.cover}}, nil
	case f.custom != "":
		data, err := parseData(f.data)
		if err != nil {
			return 0, wire.Body{}, err
		}
		return wire.MsgCustom, wire.Body{Custom: &wire.CustomBody{Type: f.custom, Data: data}}, nil
	}
	if len(x.pos) < 2 {
		return 0, wire.Body{}, usagef("send GROUP TEXT..., or a rich body flag (--image, --video, --live, --product, --sticker, --location, --link, --custom)")
	}
	tb := &wire.TextBody{Text: x.rest(1)}
	if f.at != "" {
		for _, u := range strings.Split(f.at, ",") {
			if u = strings.TrimSpace(u); u == "all" || u == "@all" {
				tb.Mentions = append(tb.Mentions, wire.MentionAll)
			} else if u != "" {
				tb.Mentions = append(tb.Mentions, strings.TrimPrefix(u, "@"))
			}
		}
	}
	return wire.MsgText, wire.Body{Text: tb}, nil
}

// parsePrice reads 129, 129.5 or 129.00 as minor units (cents).
func parsePrice(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if len(frac) > 2 {
		return 0, usagef("--price %q: at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > wire.MaxPriceCents/100 {
		return 0, usagef("--price %q: a price like 129.00", s)
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 2-len(frac)), 10, 64); err != nil || f < 0 {
			return 0, usagef("--price %q: a price like 129.00", s)
		}
	}
	return w*100 + f, nil
}

// parseData reads k=v,k=v: integers, floats and true/false keep their type.
func parseData(s string) (map[string]wire.CustomValue, error) {
	out := map[string]wire.CustomValue{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--fields k=v,...: %q", kv)
		}
		switch {
		case v == "true" || v == "false":
			out[k] = wire.CustomValue{Kind: wire.CustomBool, B: v == "true"}
		default:
			if i, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[k] = wire.CustomValue{Kind: wire.CustomInt, I: i}
			} else if f, err := strconv.ParseFloat(v, 64); err == nil {
				out[k] = wire.CustomValue{Kind: wire.CustomFloat, F: f}
			} else {
				out[k] = wire.CustomValue{Kind: wire.CustomString, S: v}
			}
		}
	}
	return out, nil
}
