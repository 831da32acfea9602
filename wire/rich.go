package wire

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Rich message types (fan groups and creator tools). Append-only; numbered
// from 100 so they never collide with types added elsewhere.
const (
	MsgImage    MsgType = 100 // Body.Image
	MsgVideo    MsgType = 101 // Body.Video: a short video shared into the group
	MsgLive     MsgType = 102 // Body.Live: a live room (live, preview or ended)
	MsgProduct  MsgType = 103 // Body.Product: a product card
	MsgSticker  MsgType = 104 // Body.Sticker
	MsgLocation MsgType = 105 // Body.Location
	MsgLink     MsgType = 106 // Body.Link: a link card
	MsgCustom   MsgType = 107 // Body.Custom: a host-defined type
	MsgRecalled MsgType = 108 // Body.Recalled: what a recalled message becomes (never sent by clients)
)

// Bounds of rich bodies (bytes unless said otherwise). Part of the protocol.
const (
	MaxURLLen       = 512
	MaxTitleLen     = 200
	MaxRichDescLen  = 500
	MaxRichIDLen    = 64
	MaxImageSide    = 20000     // pixels
	MaxVideoSeconds = 24 * 3600 // a video's duration
	MaxPriceCents   = 1e12      // 10 000 000 000.00 in the currency
	MaxCustomType   = 32        // custom type name, [a-z0-9_.]
	MaxCustomFields = 16        // entries of a custom map
	MaxCustomKey    = 32        // a custom map key
	MaxCustomString = 512       // a custom string value
	MaxMentions     = 50        // user ids mentioned in one message
	MentionAll      = "@all"    // the mention that means every member
	maxMentionLen   = 64        // a mentioned user id
)

// ImageBody is a picture.
type ImageBody struct {
	URL string `msgpack:"url"`
	W   int    `msgpack:"w"`
	H   int    `msgpack:"h"`
}

// VideoBody shares a short video.
type VideoBody struct {
	ID       string `msgpack:"id"`
	Title    string `msgpack:"title"`
	Cover    string `msgpack:"cover,omitempty"`
	Duration int    `msgpack:"dur,omitempty"` // seconds
}

// LiveBody links a live room. Live is true while it is on air; Start (unix
// ms), when set and in the future, makes it a preview.
type LiveBody struct {
	Room  string `msgpack:"room"`
	Title string `msgpack:"title"`
	Cover string `msgpack:"cover,omitempty"`
	Live  bool   `msgpack:"live"`
	Start int64  `msgpack:"start,omitempty"`
}

// ProductBody is a product card. Price is in the currency's minor unit.
type ProductBody struct {
	ID       string `msgpack:"id"`
	Title    string `msgpack:"title"`
	Price    int64  `msgpack:"price"`
	Currency string `msgpack:"cur"` // ISO 4217, e.g. "CNY"
	Image    string `msgpack:"img,omitempty"`
	URL      string `msgpack:"url,omitempty"`
}

// StickerBody is a sticker from a pack.
type StickerBody struct {
	Pack string `msgpack:"pack"`
	ID   string `msgpack:"id"`
}

// LocationBody is a place.
type LocationBody struct {
	Lat     float64 `msgpack:"lat"`
	Lng     float64 `msgpack:"lng"`
	Name    string  `msgpack:"name,omitempty"`
	Address string  `msgpack:"addr,omitempty"`
}

// LinkBody is a link card.
type LinkBody struct {
	URL   string `msgpack:"url"`
	Title string `msgpack:"title,omitempty"`
	Desc  string `msgpack:"desc,omitempty"`
	Image string `msgpack:"img,omitempty"`
}

// CustomBody is a host-defined message: a type name and a small map of
// scalar values.
type CustomBody struct {
	Type string                 `msgpack:"type"`
	Data map[string]CustomValue `msgpack:"data,omitempty"`
}

// RecalledBody replaces the body of a recalled message in storage.
type RecalledBody struct {
	By string `msgpack:"by"`
	At int64  `msgpack:"at"`
}

// CustomKind says which field of a CustomValue is set.
type CustomKind uint8

// Custom value kinds.
const (
	CustomString CustomKind = 1
	CustomInt    CustomKind = 2
	CustomFloat  CustomKind = 3
	CustomBool   CustomKind = 4
)

// CustomValue is one scalar of a custom map: on the wire a plain msgpack
// string, integer, float or boolean; decoded into this concrete type, never
// into interface{}.
type CustomValue struct {
	Kind CustomKind
	S    string
	I    int64
	F    float64
	B    bool
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (v CustomValue) EncodeMsgpack(enc *msgpack.Encoder) error {
	switch v.Kind {
	case CustomString:
		return enc.EncodeString(v.S)
	case CustomInt:
		return enc.EncodeInt(v.I)
	case CustomFloat:
		return enc.EncodeFloat64(v.F)
	case CustomBool:
		return enc.EncodeBool(v.B)
	}
	return fmt.Errorf("wire: custom value of kind %d", v.Kind)
}

// DecodeMsgpack implements msgpack.CustomDecoder: a string, integer (within
// int64), float or boolean; anything else is refused.
func (v *CustomValue) DecodeMsgpack(dec *msgpack.Decoder) error {
	c, err := dec.PeekCode()
	if err != nil {
		return err
	}
	*v = CustomValue{}
	switch {
	case msgpcode.IsString(c):
		v.Kind = CustomString
		v.S, err = dec.DecodeString()
	case c == msgpcode.True || c == msgpcode.False:
		v.Kind = CustomBool
		v.B, err = dec.DecodeBool()
	case c == msgpcode.Float || c == msgpcode.Double:
		v.Kind = CustomFloat
		v.F, err = dec.DecodeFloat64()
	case c == msgpcode.Uint8 || c == msgpcode.Uint16 || c == msgpcode.Uint32 || c == msgpcode.Uint64:
		var u uint64
		if u, err = dec.DecodeUint64(); err == nil && u > math.MaxInt64 {
			err = fmt.Errorf("custom integer %d out of range", u)
		}
		v.Kind, v.I = CustomInt, int64(u)
	case msgpcode.IsFixedNum(c) || c == msgpcode.Int8 || c == msgpcode.Int16 || c == msgpcode.Int32 || c == msgpcode.Int64:
		v.Kind = CustomInt
		v.I, err = dec.DecodeInt64()
	default:
		return fmt.Errorf("custom value must be a string, integer, float or boolean (code 0x%02x)", c)
	}
	return err
}

// String renders the value.
func (v CustomValue) String() string {
	switch v.Kind {
	case CustomString:
		return v.S
	case CustomInt:
		return fmt.Sprint(v.I)
	case CustomFloat:
		return fmt.Sprint(v.F)
	case CustomBool:
		return fmt.Sprint(v.B)
	}
	return ""
}

// fields counts the set fields of the body.
func (b *Body) fields() int {
	n := 0
	for _, set := range []bool{b.Text != nil, b.System != nil, b.Image != nil, b.Video != nil, b.Live != nil,
		b.Product != nil, b.Sticker != nil, b.Location != nil, b.Link != nil, b.Custom != nil, b.Recalled != nil} {
		if set {
			n++
		}
	}
	return n
}

func badBody(format string, args ...any) *Error { return Errorf(CodeBadRequest, format, args...) }

// str checks a string field: required or not, at most max bytes of UTF-8.
func str(name, s string, max int, required bool) *Error {
	switch {
	case required && s == "":
		return badBody("%s is required", name)
	case len(s) > max:
		return badBody("%s longer than %d bytes", name, max)
	case !utf8.ValidString(s):
		return badBody("%s is not valid UTF-8", name)
	}
	return nil
}

// url checks a URL field: http(s), at most MaxURLLen bytes, no spaces.
func url(name, s string, required bool) *Error {
	if err := str(name, s, MaxURLLen, required); err != nil || s == "" {
		return err
	}
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") || strings.ContainsAny(s, " \t\r\n") {
		return badBody("%s must be an http(s) URL", name)
	}
	return nil
}

func firstErr(errs ...*Error) *Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// checkRich validates a rich body against its type and bounds.
func (m *Message) checkRich() *Error {
	b := &m.Body
	if b.fields() != 1 {
		return badBody("message type %d needs exactly its own body field", m.Type)
	}
	switch m.Type {
	case MsgImage:
		v := b.Image
		if v == nil {
			break
		}
		if v.W < 1 || v.W > MaxImageSide || v.H < 1 || v.H > MaxImageSide {
			return badBody("image width and height must be 1..%d", MaxImageSide)
		}
		return url("image url", v.URL, true)
	case MsgVideo:
		v := b.Video
		if v == nil {
			break
		}
		if v.Duration < 0 || v.Duration > MaxVideoSeconds {
			return badBody("video duration must be 0..%d seconds", MaxVideoSeconds)
		}
		return firstErr(str("video id", v.ID, MaxRichIDLen, true), str("video title", v.Title, MaxTitleLen, true), url("video cover", v.Cover, false))
	case MsgLive:
		v := b.Live
		if v == nil {
			break
		}
		if v.Start < 0 {
			return badBody("live start must be a unix time in ms")
		}
		return firstErr(str("live room", v.Room, MaxRichIDLen, true), str("live title", v.Title, MaxTitleLen, true), url("live cover", v.Cover, false))
	case MsgProduct:
		v := b.Product
		if v == nil {
			break
		}
		if v.Price < 0 || v.Price > MaxPriceCents {
			return badBody("product price must be 0..%d minor units", int64(MaxPriceCents))
		}
		if len(v.Currency) != 3 || strings.ToUpper(v.Currency) != v.Currency || strings.ContainsFunc(v.Currency, func(r rune) bool { return r < 'A' || r > 'Z' }) {
			return badBody("product currency must be three capital letters (ISO 4217)")
		}
		return firstErr(str("product id", v.ID, MaxRichIDLen, true), str("product title", v.Title, MaxTitleLen, true),
			url("product image", v.Image, false), url("product url", v.URL, false))
	case MsgSticker:
		v := b.Sticker
		if v == nil {
			break
		}
		return firstErr(str("sticker pack", v.Pack, MaxRichIDLen, true), str("sticker id", v.ID, MaxRichIDLen, true))
	case MsgLocation:
		v := b.Location
		if v == nil {
			break
		}
		if !(v.Lat >= -90 && v.Lat <= 90 && v.Lng >= -180 && v.Lng <= 180) {
			return badBody("location must have lat in [-90, 90] and lng in [-180, 180]")
		}
		return firstErr(str("location name", v.Name, MaxTitleLen, false), str("location address", v.Address, MaxRichDescLen, false))
	case MsgLink:
		v := b.Link
		if v == nil {
			break
		}
		return firstErr(url("link url", v.URL, true), str("link title", v.Title, MaxTitleLen, false),
			str("link description", v.Desc, MaxRichDescLen, false), url("link image", v.Image, false))
	case MsgCustom:
		v := b.Custom
		if v == nil {
			break
		}
		if v.Type == "" || len(v.Type) > MaxCustomType || strings.ContainsFunc(v.Type, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.')
		}) {
			return badBody("custom type must be 1..%d of [a-z0-9_.]", MaxCustomType)
		}
		if len(v.Data) > MaxCustomFields {
			return badBody("custom data holds at most %d entries", MaxCustomFields)
		}
		for k, x := range v.Data {
			if err := str("custom key", k, MaxCustomKey, true); err != nil {
				return err
			}
			if x.Kind < CustomString || x.Kind > CustomBool {
				return badBody("custom value %q must be a string, integer, float or boolean", k)
			}
			if x.Kind == CustomString {
				if err := str("custom value", x.S, MaxCustomString, false); err != nil {
					return err
				}
			}
			if x.Kind == CustomFloat && (math.IsNaN(x.F) || math.IsInf(x.F, 0)) {
				return badBody("custom float must be finite")
			}
		}
		return nil
	default:
		return badBody("message type %d cannot be sent by clients", m.Type)
	}
	return badBody("message type %d needs its body field", m.Type)
}

// checkMentions bounds a text message's mentions.
func checkMentions(ms []string) *Error {
	if len(ms) > MaxMentions {
		return badBody("more than %d mentions", MaxMentions)
	}
	for _, u := range ms {
		if u == "" || len(u) > maxMentionLen || !utf8.ValidString(u) {
			return badBody("invalid mention")
		}
	}
	return nil
}

// Line renders a message body in one line for terminals: the text, or a
// bracketed summary of a rich body.
func (m *Message) Line() string {
	b := &m.Body
	switch {
	case b.Text != nil:
		s := b.Text.Text
		for i := len(b.Text.Mentions) - 1; i >= 0; i-- {
			s = "@" + strings.TrimPrefix(b.Text.Mentions[i], "@") + " " + s
		}
		return s
	case b.Image != nil:
		return fmt.Sprintf("[image %dx%d] %s", b.Image.W, b.Image.H, b.Image.URL)
	case b.Video != nil:
		return fmt.Sprintf("[video %s] %s (%ds)", b.Video.ID, b.Video.Title, b.Video.Duration)
	case b.Live != nil:
		state := "ended"
		switch {
		case b.Live.Live:
			state = "LIVE"
		case b.Live.Start > 0:
			state = "preview " + time.UnixMilli(b.Live.Start).UTC().Format("2006-01-02 15:04Z")
		}
		return fmt.Sprintf("[live %s %s] %s", b.Live.Room, state, b.Live.Title)
	case b.Product != nil:
		p := b.Product
		return fmt.Sprintf("[product %s] %s %d.%02d %s", p.ID, p.Title, p.Price/100, p.Price%100, p.Currency)
	case b.Sticker != nil:
		return fmt.Sprintf("[sticker %s/%s]", b.Sticker.Pack, b.Sticker.ID)
	case b.Location != nil:
		return fmt.Sprintf("[location %.5f,%.5f] %s %s", b.Location.Lat, b.Location.Lng, b.Location.Name, b.Location.Address)
	case b.Link != nil:
		return fmt.Sprintf("[link] %s %s", b.Link.Title, b.Link.URL)
	case b.Custom != nil:
		keys := make([]string, 0, len(b.Custom.Data))
		for k := range b.Custom.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + b.Custom.Data[k].String()
		}
		return fmt.Sprintf("[%s] %s", b.Custom.Type, strings.Join(parts, " "))
	case b.Recalled != nil:
		return fmt.Sprintf("[recalled by %s]", b.Recalled.By)
	case b.System != nil:
		s := b.System
		return strings.TrimSpace(fmt.Sprintf("* %s %s %s %s", s.Event, s.Actor, s.Target, s.Text))
	}
	return fmt.Sprintf("[type %d]", m.Type)
}
