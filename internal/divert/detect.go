package divert

import (
	"math"
	"unicode/utf8"
)

// Kind says what a Match found.
type Kind uint8

// Kinds of diversion. The numbers are stable.
const (
	KindPhone  Kind = 1 // a mainland mobile number
	KindWeChat Kind = 2 // a WeChat id after (or before) a WeChat cue
	KindQQ     Kind = 3 // a QQ number after (or before) a QQ cue
	KindQR     Kind = 4 // a "scan my QR code" hint
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindPhone:
		return "phone"
	case KindWeChat:
		return "wechat"
	case KindQQ:
		return "qq"
	case KindQR:
		return "qr"
	}
	return "unknown"
}

// Match is one detected span: text[Start:End] in bytes of the original text.
type Match struct {
	Start, End int
	Kind       Kind
}

// maxText is the most bytes of a text Detect reads.
const maxText = math.MaxInt32

// stackRunes is how many normalized runes Detect keeps on the stack.
const stackRunes = 256

// Detect returns the diversion matches in text, in order, non-overlapping,
// with byte spans into text. It returns nil when there are none.
func Detect(text string) []Match {
	if len(text) > maxText {
		text = text[:maxText] // spans are int32; no real message comes near
	}
	var stack [stackRunes]nr
	buf := stack[:0]
	if len(text) > stackRunes {
		if n := utf8.RuneCountInString(text); n > stackRunes {
			buf = make([]nr, 0, n)
		}
	}
	rs := normalize(buf, text)
	return detectNormalized(rs)
}

func detectNormalized(rs []nr) []Match {
	var out []Match
	out = detectCues(rs, out)
	out = detectPhones(rs, out)
	return merge(out)
}

// priority decides which kind a merged span keeps.
func priority(k Kind) int {
	switch k {
	case KindWeChat:
		return 4
	case KindQQ:
		return 3
	case KindPhone:
		return 2
	}
	return 1
}

// merge sorts the matches by start and merges overlapping ones.
func merge(ms []Match) []Match {
	for i := 1; i < len(ms); i++ { // insertion sort: few matches per text
		for j := i; j > 0 && (ms[j].Start < ms[j-1].Start ||
			(ms[j].Start == ms[j-1].Start && ms[j].End > ms[j-1].End)); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.Start < out[n-1].End {
			last := &out[n-1]
			if m.End > last.End {
				last.End = m.End
			}
			if priority(m.Kind) > priority(last.Kind) {
				last.Kind = m.Kind
			}
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
